import { computed, readonly, ref } from 'vue';
import { defineStore } from 'pinia';
import type { CurrentUser, SignupMode } from '@threadline/contract';
import { api, ApiError, apiClient } from '../api/index.ts';

export type SessionStatus = 'unknown' | 'signed_in' | 'signed_out';

/** Who is signed in. The session itself lives in an HttpOnly cookie; this store only knows what /ui/me said. */
export const useSessionStore = defineStore('session', () => {
  const user = ref<CurrentUser | null>(null);
  const status = ref<SessionStatus>('unknown');
  const needsSetup = ref(false);
  /** Who may sign up through Instagram / Facebook (SIGNUP_MODE), for the login page to say. */
  const signupMode = ref<SignupMode>('invite');
  /** Why the user is back on the login page (an expired session), in words. */
  const signedOutReason = ref<string | null>(null);
  let inFlight: Promise<void> | null = null;

  const isAdmin = computed(() => user.value?.is_admin ?? false);
  const accountId = computed(() => user.value?.account_id ?? null);

  async function probe(): Promise<void> {
    try {
      user.value = await api.auth.me();
      status.value = 'signed_in';
      needsSetup.value = false;
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 401) throw error;
      user.value = null;
      status.value = 'signed_out';
      const setup = await api.auth.setupStatus();
      needsSetup.value = setup.needs_setup;
      signupMode.value = setup.signup_mode;
    }
  }

  /** Learns the session once; concurrent callers share one request. */
  function init(force = false): Promise<void> {
    if (!force && status.value !== 'unknown') return Promise.resolve();
    inFlight ??= probe().finally(() => {
      inFlight = null;
    });
    return inFlight;
  }

  async function afterSignIn(): Promise<void> {
    apiClient.resetUnauthorized();
    signedOutReason.value = null;
    await init(true);
  }

  async function login(username: string, password: string): Promise<void> {
    await api.auth.login(username, password);
    await afterSignIn();
  }

  async function setup(username: string, password: string): Promise<void> {
    await api.auth.setup(username, password);
    await afterSignIn();
  }

  /** Signs up from an invitation link with a username and password, and is then signed in. */
  async function acceptInvitation(token: string, username: string, password: string): Promise<void> {
    await api.teammates.acceptInvitation(token, username, password);
    await afterSignIn();
  }

  /** True while the session is being re-issued for another account: live streams close, so nothing races it. */
  const switching = ref(false);

  async function switchAccount(accountId: string): Promise<void> {
    switching.value = true;
    try {
      await api.auth.switchAccount(accountId);
      await init(true);
    } finally {
      switching.value = false;
      apiClient.resetUnauthorized();
    }
  }

  async function logout(): Promise<void> {
    try {
      await api.auth.logout();
    } finally {
      user.value = null;
      status.value = 'signed_out';
    }
  }

  /** The API client's single 401 report: forget the user and explain why. */
  function expire(reason: { code: string; message: string }): void {
    // A request sent with the old session during a switch is not an expired session.
    if (status.value !== 'signed_in' || switching.value) return;
    user.value = null;
    status.value = 'signed_out';
    // by the error's code, never its words: the server may reword a message
    signedOutReason.value = reason.code === 'auth.session_expired' ? 'Your session expired. Sign in again.' : `You were signed out (${reason.message}). Sign in again.`;
  }

  return {
    user: readonly(user),
    status: readonly(status),
    needsSetup: readonly(needsSetup),
    signupMode: readonly(signupMode),
    signedOutReason: readonly(signedOutReason),
    switching: readonly(switching),
    isAdmin,
    accountId,
    init,
    login,
    setup,
    acceptInvitation,
    logout,
    switchAccount,
    expire,
  };
});
