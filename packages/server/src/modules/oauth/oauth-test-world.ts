import { createSimulator, SimClient, type Simulator } from '@threadline/instagram-sim';
import type { Env } from '../../config.ts';
import { APP_SECRET } from '../../../test/meta.ts';
import { createTestApp, TEST_ORIGIN, type TestApp } from '../../../test/app.ts';
import type { InboxEvent } from '../../events/inbox-events.ts';

/**
 * Test world for Instagram Login: the Meta simulator in-process, Threadline pointed at it, Threadline's clock
 * following the simulator's (so moving the simulated clock moves the refresh job too), and every account event
 * the sinks hear collected.
 */
export type OAuthWorld = {
  sim: Simulator;
  control: SimClient;
  t: TestApp;
  appId: string;
  /** The same app's Meta app id and secret: what "Continue with Facebook" is configured with. */
  metaAppId: string;
  metaAppSecret: string;
  events: InboxEvent[];
  close(): Promise<void>;
};

export const CALLBACK_URL = `${TEST_ORIGIN}/oauth/instagram/callback`;
export const FACEBOOK_CALLBACK_URL = `${TEST_ORIGIN}/oauth/facebook/callback`;

export async function startOAuthWorld(env: Env = {}): Promise<OAuthWorld> {
  const events: InboxEvent[] = [];
  const sim = createSimulator({ deliveryTickMs: 0 });
  const simUrl = await sim.listen(0);
  const control = new SimClient(simUrl);
  const simApp = await control.createApp({ secret: APP_SECRET, redirectUris: [CALLBACK_URL, FACEBOOK_CALLBACK_URL] });
  const t = await createTestApp(
    {
      INSTAGRAM_AUTHORIZE_URL: `${simUrl}/oauth/authorize`,
      INSTAGRAM_API_URL: simUrl,
      INSTAGRAM_GRAPH_URL: simUrl,
      INSTAGRAM_OAUTH_CLIENT_ID: simApp.id,
      INSTAGRAM_OAUTH_CLIENT_SECRET: APP_SECRET,
      FACEBOOK_APP_ID: simApp.metaAppId,
      FACEBOOK_APP_SECRET: simApp.metaAppSecret,
      FACEBOOK_DIALOG_URL: control.facebook.url,
      FACEBOOK_GRAPH_URL: control.facebook.url,
      WORKERS_ENABLED: 'false',
      // these tests sign people up through Meta; SIGNUP_MODE's other modes have their own tests
      SIGNUP_MODE: 'open',
      ...env,
    },
    { now: () => new Date(sim.clock.now()), extraSinks: [{ write: async (_uow, written) => void events.push(...written) }] },
  );
  // Queues exist (jobs can be enqueued); with WORKERS_ENABLED=false nothing runs unless a test asks.
  await t.startWorkers();
  return {
    sim,
    control,
    t,
    appId: simApp.id,
    metaAppId: simApp.metaAppId,
    metaAppSecret: simApp.metaAppSecret,
    events,
    async close() {
      await t.close();
      await sim.close();
    },
  };
}

export type BrowserRun = {
  statusCode: number;
  /** Where Threadline sent the browser at the end (a path), or null when it showed a page. */
  location: string | null;
  body: string;
  /** The session cookie Threadline set, if it signed someone in. */
  sessionToken: string | null;
  code: string | null;
  state: string | null;
};

/**
 * One browser going through Instagram Login: Threadline's authorize route (with the session cookie, if any),
 * the simulator's consent page (Allow for `igId`, or Cancel), and Threadline's callback with the binding cookie.
 * `tamper` may change the callback query or drop the binding cookie, as an attacker would.
 */
export async function browserLogin(
  w: OAuthWorld,
  opts: {
    igId: string;
    sessionToken?: string;
    redirect?: string;
    /** the token of an invitation link the person opened */
    invitation?: string;
    action?: 'allow' | 'cancel';
    tamper?: (callback: URL, cookies: Record<string, string>) => void;
  },
): Promise<BrowserRun> {
  const cookies: Record<string, string> = {};
  if (opts.sessionToken) cookies.threadline_session = opts.sessionToken;
  const start = await w.t.app.inject({
    method: 'GET',
    url: '/oauth/instagram/authorize',
    query: { ...(opts.redirect === undefined ? {} : { redirect: opts.redirect }), ...(opts.invitation ? { invitation: opts.invitation } : {}) },
    cookies,
  });
  if (start.statusCode !== 302) throw new Error(`authorize answered ${start.statusCode}: ${start.body}`);
  for (const c of start.cookies) cookies[c.name] = c.value;
  const consent = await w.control.authorize(String(start.headers.location), { accountId: opts.igId, action: opts.action ?? 'allow' });
  const callback = new URL(consent.location);
  opts.tamper?.(callback, cookies);
  const res = await w.t.app.inject({ method: 'GET', url: `${callback.pathname}${callback.search}`, cookies });
  const session = res.cookies.find((c) => c.name === 'threadline_session' && c.value !== '');
  return {
    statusCode: res.statusCode,
    location: typeof res.headers.location === 'string' ? res.headers.location : null,
    body: res.body,
    sessionToken: session?.value ?? null,
    code: consent.code,
    state: consent.state,
  };
}

/** Meta's POST of a `signed_request` (deauthorize, data deletion), form-encoded. */
export function postSignedRequest(w: OAuthWorld, path: string, signedRequest: string) {
  return w.t.app.inject({
    method: 'POST',
    url: path,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ signed_request: signedRequest }).toString(),
  });
}
