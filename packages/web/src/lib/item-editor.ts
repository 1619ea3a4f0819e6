import { onMounted, ref, type Ref } from 'vue';
import { errorText } from './format.ts';

/**
 * The state of a settings list whose items are edited in place and deleted after a confirmation (labels, canned
 * replies): one error line, the item being edited (a copy of its fields), the item waiting for the confirmation.
 * Loads the list when the component mounts.
 */
export function useItemEditor<T, Draft extends { id: string }>(opts: {
  load: () => Promise<void>;
  save: (draft: Draft) => Promise<void>;
  remove: (item: T) => Promise<void>;
}) {
  const error = ref<string | null>(null);
  const editing: Ref<Draft | null> = ref(null);
  const deleting: Ref<T | null> = ref(null);

  /** Runs a change; a failure shows in the error line. True when it worked. */
  async function attempt(change: () => Promise<void>): Promise<boolean> {
    error.value = null;
    try {
      await change();
      return true;
    } catch (e) {
      error.value = errorText(e);
      return false;
    }
  }

  async function save() {
    const draft = editing.value;
    if (draft && (await attempt(() => opts.save(draft)))) editing.value = null;
  }

  async function confirmDelete() {
    const item = deleting.value;
    deleting.value = null;
    if (item) await attempt(() => opts.remove(item));
  }

  onMounted(() => void attempt(opts.load));
  return { error, editing, deleting, attempt, save, confirmDelete };
}
