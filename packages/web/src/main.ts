import { createApp } from 'vue';
import { createPinia } from 'pinia';
import App from './app.vue';
import { createAppRouter } from './router.ts';
import { onUnauthorized } from './api/index.ts';
import { useSessionStore } from './stores/session.ts';
import './styles.css';

const pinia = createPinia();
const router = createAppRouter(pinia);

// One place for an expired session: forget the user and go to the login page, once.
onUnauthorized((error) => {
  const session = useSessionStore(pinia);
  const wasSignedIn = session.status === 'signed_in';
  session.expire(error);
  if (wasSignedIn && router.currentRoute.value.name !== 'login') {
    void router.push({ path: '/login', query: { expired: '1' } });
  }
});

createApp(App).use(pinia).use(router).mount('#app');
