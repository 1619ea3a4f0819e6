import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { graph, startSim } from '../../test/harness.ts';
import type { Harness } from '../../test/harness.ts';

const REDIRECT = 'https://threadline.test/oauth/callback';
let h: Harness;
beforeEach(async () => {
  h = await startSim();
});
afterEach(async () => h.close());

async function setup() {
  const app = await h.client.createApp({ name: 'Threadline Demo', redirectUris: [REDIRECT] });
  const user = await h.client.createIgUser({ username: 'owner' });
  const shop = await h.client.createAccount({ igUserId: user.id, username: 'acme_shop' });
  const studio = await h.client.createAccount({ igUserId: user.id, username: 'acme_studio', accountType: 'Media_Creator' });
  return { app, user, shop, studio };
}
const query = (params: Record<string, string>) => `/oauth/authorize?${new URLSearchParams(params).toString()}`;

describe('GET /oauth/authorize', () => {
  it('renders a consent page listing the professional accounts of the logged-in user, with Allow and Cancel', async () => {
    const { app, shop, studio } = await setup();
    const page = await graph(h.url, query({
      client_id: app.id, redirect_uri: REDIRECT, response_type: 'code',
      scope: 'instagram_business_basic instagram_business_manage_messages', state: 'csrf-1', enable_fb_login: '0', force_authentication: '1',
    }));
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.text).toContain('Threadline Demo');
    expect(page.text).toContain(`value="${shop.igId}"`);
    expect(page.text).toContain(`value="${studio.igId}"`);
    expect(page.text).toContain('value="allow"');
    expect(page.text).toContain('value="cancel"');
  });

  it.each([
    ['an unknown client_id', { client_id: '999' }, 'Invalid platform app'],
    ['a redirect_uri that differs by a trailing slash', { redirect_uri: `${REDIRECT}/` }, 'Invalid redirect_uri'],
    ['a response_type other than code', { response_type: 'token' }, 'response_type must be code'],
    ['a scope deprecated in January 2025', { scope: 'business_basic,business_manage_messages' }, 'Invalid Scopes: business_basic, business_manage_messages'],
    ['no scope', { scope: '' }, 'Invalid Scopes'],
  ])('rejects %s with an error page', async (_name, override, message) => {
    const { app } = await setup();
    const page = await graph(h.url, query({
      client_id: app.id, redirect_uri: REDIRECT, response_type: 'code', scope: 'instagram_business_basic', ...override,
    }));
    expect(page.status).toBe(400);
    expect(page.text).toContain(message);
  });

  it('matches a redirect URI the dashboard stored with an added trailing slash only with that slash', async () => {
    await h.client.setVariants({ dashboardAddsTrailingSlash: true });
    const app = await h.client.createApp({ redirectUris: ['https://threadline.test'] });
    expect(app.redirectUris).toEqual(['https://threadline.test/']);
    await h.client.createAccount();
    const bare = await graph(h.url, query({ client_id: app.id, redirect_uri: 'https://threadline.test', response_type: 'code', scope: 'instagram_business_basic' }));
    expect(bare.status).toBe(400);
    const slash = await graph(h.url, query({ client_id: app.id, redirect_uri: 'https://threadline.test/', response_type: 'code', scope: 'instagram_business_basic' }));
    expect(slash.status).toBe(200);
  });
});

describe('POST /oauth/authorize (the consent form)', () => {
  it('redirects with ?code=…&state=… and the #_ fragment when the user allows', async () => {
    const { app, studio } = await setup();
    const url = h.client.authorizeUrl({ clientId: app.id, redirectUri: REDIRECT, state: 'csrf-2' });
    const result = await h.client.authorize(url, { accountId: studio.igId });
    expect(result.location.startsWith(`${REDIRECT}?code=`)).toBe(true);
    expect(result.location.endsWith('#_')).toBe(true);
    expect(result.state).toBe('csrf-2');
    expect(result.code).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(h.sim.state.data.codes[0]?.accountId).toBe(studio.igId);
  });

  it('redirects with error=access_denied&error_reason=user_denied when the user cancels', async () => {
    const { app } = await setup();
    const url = h.client.authorizeUrl({ clientId: app.id, redirectUri: REDIRECT, state: 'csrf-3' });
    const result = await h.client.authorize(url, { action: 'cancel' });
    expect(result.location).toBe(
      `${REDIRECT}?error=access_denied&error_reason=user_denied&error_description=The+user+denied+your+request&state=csrf-3`,
    );
    expect(result.code).toBeNull();
  });

  it('lists another user\'s accounts once the session switches to that user', async () => {
    const { app, shop } = await setup();
    const other = await h.client.createIgUser({ username: 'other' });
    const theirs = await h.client.createAccount({ igUserId: other.id, username: 'other_shop' });
    await h.client.setSession(other.id);
    const page = await graph(h.url, query({ client_id: app.id, redirect_uri: REDIRECT, response_type: 'code', scope: 'instagram_business_basic' }));
    expect(page.text).toContain(`value="${theirs.igId}"`);
    expect(page.text).not.toContain(`value="${shop.igId}"`);
  });
});
