import { readonly, ref } from 'vue';
import { defineStore } from 'pinia';
import type { UiPreferences } from '@threadline/contract';
import { api } from '../api/index.ts';

/** The signed-in person's own settings (notifications), loaded once. */
export const usePreferencesStore = defineStore('preferences', () => {
  const prefs = ref<UiPreferences>({ browser_notifications: false, notification_sound: false });
  const loaded = ref(false);
  let inFlight: Promise<void> | null = null;

  function load(): Promise<void> {
    if (loaded.value) return Promise.resolve();
    inFlight ??= api.preferences
      .get()
      .then((p) => {
        prefs.value = p;
        loaded.value = true;
      })
      .finally(() => {
        inFlight = null;
      });
    return inFlight;
  }

  async function update(patch: Partial<UiPreferences>) {
    prefs.value = await api.preferences.update(patch);
  }

  return { prefs: readonly(prefs), loaded: readonly(loaded), load, update };
});
