import { describe, expect, it, vi } from 'vitest';
import { mount } from '@vue/test-utils';
import { createPinia } from 'pinia';
import { createMemoryHistory, createRouter } from 'vue-router';
import LoginButton from './login-button.vue';
import ProfilePanel from './settings/profile-panel.vue';
import { account } from '../test-helpers.ts';

const router = () => createRouter({ history: createMemoryHistory(), routes: [{ path: '/:p(.*)*', component: { template: '<div />' } }] });
const mountPanel = (props: { account: ReturnType<typeof account> }) => mount(ProfilePanel, { props, global: { plugins: [createPinia(), router()] } });

describe('an account reached through a Facebook Page', () => {
  const viaPage = account({ id: 'a1', login_path: 'facebook_login', facebook_page: { id: '104000000000001', name: 'Corner Shop' }, token_expires_at: null });

  it('shows the Page it is connected through and that its token does not expire', () => {
    const w = mountPanel({ account: viaPage });
    expect(w.get('[data-testid="account-path"]').text()).toBe('Facebook Page “Corner Shop” (104000000000001)');
    expect(w.text()).toContain('Page token: does not expire (checked daily)');
  });

  it('offers reconnecting through Facebook when Meta stopped accepting its token', () => {
    const w = mountPanel({ account: { ...viaPage, status: 'reauth_required', status_reason: 'profile sync refused by Meta (190/460)' } });
    const link = w.get('[role="alert"] a');
    expect(link.text()).toBe('Reconnect through Facebook');
    expect(link.attributes('href')).toBe('/oauth/facebook/authorize?redirect=%2Fsettings%2Faccounts%2Fa1');
    expect(w.get('[role="alert"]').text()).toContain('190/460');
  });

  it('shows an Instagram Login account as such, with its expiry', () => {
    const w = mountPanel({ account: account({ id: 'a2' }) });
    expect(w.get('[data-testid="account-path"]').text()).toBe('Instagram Login');
    expect(w.text()).not.toContain('does not expire');
  });
});

describe('the login buttons', () => {
  it('say which way they connect and go to that dialog', async () => {
    const assign = vi.fn();
    vi.stubGlobal('location', { ...window.location, assign });
    try {
      const facebook = mount(LoginButton, { props: { provider: 'facebook', redirect: '/settings' } });
      expect(facebook.text()).toBe('Continue with Facebook');
      await facebook.get('button').trigger('click');
      expect(assign).toHaveBeenCalledWith('/oauth/facebook/authorize?redirect=%2Fsettings');
      expect(facebook.text()).toBe('Opening Facebook…');
      expect(mount(LoginButton).text()).toBe('Continue with Instagram');
    } finally {
      vi.unstubAllGlobals();
    }
  });
});
