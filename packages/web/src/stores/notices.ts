import { readonly, ref } from 'vue';
import { defineStore } from 'pinia';

export type Notice = { id: number; kind: 'success' | 'error' | 'info'; text: string };

/** Short confirmations and errors shown in a polite live region. */
export const useNoticesStore = defineStore('notices', () => {
  const items = ref<Notice[]>([]);
  let next = 1;

  function push(kind: Notice['kind'], text: string, ms = 5000) {
    const id = next++;
    items.value = [...items.value, { id, kind, text }];
    if (ms > 0) setTimeout(() => dismiss(id), ms);
  }

  function dismiss(id: number) {
    items.value = items.value.filter((n) => n.id !== id);
  }

  return { items: readonly(items), push, dismiss };
});
