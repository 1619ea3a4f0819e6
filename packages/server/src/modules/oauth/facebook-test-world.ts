import type { OAuthWorld } from './oauth-test-world.ts';

/** One browser going through "Continue with Facebook", as the tests drive it. */
export type FacebookRun = {
  statusCode: number;
  /** Where Threadline sent the browser at the end (a path), or null when it showed a page. */
  location: string | null;
  body: string;
  /** The session cookie Threadline set, if it signed someone in. */
  sessionToken: string | null;
  /** The picker Threadline showed (several Pages), if any. */
  pickerPath: string | null;
  /** Every cookie the browser holds at the end. */
  cookies: Record<string, string>;
};

type Response = { statusCode: number; headers: Record<string, unknown>; body: string; cookies: { name: string; value: string }[] };

const keep = (cookies: Record<string, string>, res: Response) => {
  for (const c of res.cookies) {
    if (c.value === '') delete cookies[c.name];
    else cookies[c.name] = c.value;
  }
};
const locationOf = (res: Response) => (typeof res.headers['location'] === 'string' ? res.headers['location'] : null);

/** A simulated person who manages Pages, each with an Instagram professional account (or none: `null`). */
export async function facebookPerson(w: OAuthWorld, name: string, pages: { page: string; instagram: string | null }[]) {
  const person = await w.control.facebook.createUser({ name });
  const created = [];
  for (const p of pages) {
    const account = p.instagram ? await w.control.createAccount({ username: p.instagram, name: p.instagram.replace(/_/g, ' ') }) : null;
    const page = await w.control.facebook.createPage({ name: p.page, managers: [person.id], igAccountId: account?.igId ?? null });
    created.push({ page, account });
  }
  await w.control.facebook.setSession(person.id);
  return { person, pages: created };
}

/**
 * Threadline's /oauth/facebook/authorize (with the session cookie, if any), the simulator's Login dialog (Pages and
 * permissions as given, or Cancel), Threadline's callback with the binding cookie, and, when Threadline shows its
 * Page picker and `choose` is given, that choice posted. `tamper` may change the callback URL or the cookies.
 */
export async function browserFacebookLogin(
  w: OAuthWorld,
  opts: {
    sessionToken?: string;
    redirect?: string;
    rerequest?: boolean;
    invitation?: string;
    pageIds?: string[];
    decline?: string[];
    action?: 'allow' | 'cancel';
    choose?: string[];
    tamper?: (callback: URL, cookies: Record<string, string>) => void;
  } = {},
): Promise<FacebookRun> {
  const cookies: Record<string, string> = {};
  if (opts.sessionToken) cookies.threadline_session = opts.sessionToken;
  const query: Record<string, string> = {};
  if (opts.redirect !== undefined) query.redirect = opts.redirect;
  if (opts.rerequest) query.rerequest = '1';
  if (opts.invitation) query.invitation = opts.invitation;
  const start = await w.t.app.inject({ method: 'GET', url: '/oauth/facebook/authorize', query, cookies });
  if (start.statusCode !== 302) throw new Error(`authorize answered ${start.statusCode}: ${start.body}`);
  keep(cookies, start);
  const consent = await w.control.facebook.dialog(String(start.headers.location), {
    ...(opts.pageIds ? { pageIds: opts.pageIds } : {}),
    ...(opts.decline ? { decline: opts.decline } : {}),
    action: opts.action ?? 'allow',
  });
  const callback = new URL(consent.location);
  opts.tamper?.(callback, cookies);
  let res: Response = await w.t.app.inject({ method: 'GET', url: `${callback.pathname}${callback.search}`, cookies });
  keep(cookies, res);
  let pickerPath: string | null = null;
  const next = locationOf(res);
  if (next?.startsWith('/oauth/facebook/pages/')) {
    pickerPath = next;
    if (opts.choose) {
      const picker = await w.t.app.inject({ method: 'GET', url: next, cookies });
      if (picker.statusCode !== 200) throw new Error(`picker answered ${picker.statusCode}: ${picker.body}`);
      const form = new URLSearchParams(opts.choose.map((id): [string, string] => [`page_${id}`, 'on']));
      res = await w.t.app.inject({
        method: 'POST',
        url: next,
        cookies,
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://localhost:8000' },
        payload: form.toString(),
      });
      keep(cookies, res);
    }
  }
  const session = res.cookies.find((c) => c.name === 'threadline_session' && c.value !== '');
  return { statusCode: res.statusCode, location: locationOf(res), body: res.body, sessionToken: session?.value ?? null, pickerPath, cookies };
}
