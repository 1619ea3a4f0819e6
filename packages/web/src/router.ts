import { createRouter, createWebHistory, type Router } from 'vue-router';
import type { Pinia } from 'pinia';
import { useSessionStore } from './stores/session.ts';

/** Routes; views are split into their own chunks so the first load stays small. */
export function createAppRouter(pinia: Pinia): Router {
  const router = createRouter({
    history: createWebHistory(),
    routes: [
      { path: '/', redirect: '/chat' },
      { path: '/login', name: 'login', component: () => import('./views/login-view.vue'), meta: { public: true } },
      // opened from links an administrator or teammate sent; the token is after the #
      { path: '/invite', name: 'invite', component: () => import('./views/invite-view.vue'), meta: { public: true } },
      { path: '/reset-password', name: 'reset-password', component: () => import('./views/reset-password-view.vue'), meta: { public: true } },
      { path: '/chat/:conversationId?', name: 'chat', component: () => import('./views/chat-view.vue') },
      { path: '/settings/accounts/:id', name: 'account-settings', component: () => import('./views/account-settings-view.vue') },
      { path: '/settings', name: 'settings', component: () => import('./views/settings-home-view.vue') },
      { path: '/admin', name: 'admin', component: () => import('./views/admin-view.vue') },
      { path: '/:pathMatch(.*)*', name: 'not-found', component: () => import('./views/not-found-view.vue'), meta: { public: true } },
    ],
  });

  router.beforeEach(async (to) => {
    const session = useSessionStore(pinia);
    await session.init();
    if (to.meta['public']) {
      if (to.name === 'login' && session.status === 'signed_in' && !to.query['oauth']) return { path: '/chat' };
      return true;
    }
    if (session.status !== 'signed_in') {
      // A failed "Continue with Instagram" lands on /chat?oauth=error&reason=…: the login page explains it.
      const oauth = to.query['oauth'] === 'error' ? { oauth: 'error', reason: String(to.query['reason'] ?? '') } : {};
      return { path: '/login', query: { ...oauth, ...(to.path !== '/chat' ? { next: to.path } : {}) } };
    }
    return true;
  });
  return router;
}
