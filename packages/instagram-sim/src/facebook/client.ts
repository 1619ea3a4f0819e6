import { z } from 'zod';
import type {
  CreateFacebookUserInput, CreatePageInput, IssuePageTokenInput, PageSubscribeInput, RevokeFacebookInput, UpdatePageInput,
} from './control-schemas.ts';
import { fbUserSchema, pageSchema, pageSubscriptionSchema } from './state.ts';

export type * from './control-schemas.ts';

/** The control API call of SimClient: JSON in, the answer parsed with `schema`, a SimClientError otherwise. */
export type ControlCall = <S extends z.ZodType>(method: string, path: string, schema: S, body?: unknown) => Promise<z.output<S>>;

export interface DialogResult {
  /** The full redirect Location (`…?code=…&state=…#_=_`, or `…?error=access_denied…`). */
  location: string;
  code: string | null;
  state: string | null;
  error: string | null;
}

export class FacebookDialogError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(`${status} ${message}`);
    this.status = status;
  }
}

const revoked = z.object({ revoked: z.number() });

/** The Facebook side of the simulator's control API (`SimClient.facebook`), and its Login dialog as a browser would use it. */
export class FacebookSimClient {
  private readonly baseUrl: string;
  private readonly call: ControlCall;
  constructor(baseUrl: string, call: ControlCall) {
    this.baseUrl = baseUrl;
    this.call = call;
  }

  /** Where FACEBOOK_DIALOG_URL and FACEBOOK_GRAPH_URL point to reach this simulator. */
  get url(): string {
    return `${this.baseUrl}/facebook`;
  }

  createUser = (input: CreateFacebookUserInput = {}) => this.call('POST', '/_sim/facebook/users', fbUserSchema, input);
  /** Logs a person in on the Login dialog. */
  setSession = (userId: string) => this.call('PUT', '/_sim/facebook/session', z.object({ userId: z.string() }), { userId });
  createPage = (input: CreatePageInput = {}) => this.call('POST', '/_sim/facebook/pages', pageSchema, input);
  /** Renames a Page, changes its managers, or links / unlinks its Instagram account (`igAccountId: null`). */
  updatePage = (pageId: string, patch: UpdatePageInput) => this.call('PATCH', `/_sim/facebook/pages/${pageId}`, pageSchema, patch);
  /** Every token of the Page answers 190 with this subcode (default 460). */
  revokePageTokens = (pageId: string, input: RevokeFacebookInput = {}) =>
    this.call('POST', `/_sim/facebook/pages/${pageId}/revoke-tokens`, revoked, input);
  /** The person's user and Page tokens answer 190 with this subcode (default 460). */
  revokeUserTokens = (userId: string, input: RevokeFacebookInput = {}) =>
    this.call('POST', `/_sim/facebook/users/${userId}/revoke-tokens`, revoked, input);
  /** A never-expiring Page token without the Login dialog. */
  issuePageToken = (input: IssuePageTokenInput) =>
    this.call('POST', '/_sim/facebook/page-tokens', z.object({ access_token: z.string(), page_id: z.string() }), input);
  pageSubscriptions = () => this.call('GET', '/_sim/facebook/page-subscriptions', z.array(pageSubscriptionSchema));
  subscribePage = (input: PageSubscribeInput) => this.call('POST', '/_sim/facebook/page-subscriptions', pageSubscriptionSchema, input);

  /**
   * Opens the Login dialog of `dialogUrl` and presses Continue (or Cancel). By default every Page offered and every
   * permission asked for is kept; `pageIds` narrows the Pages, `decline` turns permissions off.
   */
  async dialog(dialogUrl: string, options: { pageIds?: string[]; decline?: string[]; action?: 'allow' | 'cancel' } = {}): Promise<DialogResult> {
    const url = new URL(dialogUrl);
    const page = await fetch(url);
    const html = await page.text();
    if (!page.ok) throw new FacebookDialogError(page.status, /data-error="([^"]*)"/.exec(html)?.[1] ?? html);
    const form = new URLSearchParams();
    for (const [, name, value] of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
      if (name !== undefined && value !== undefined) form.set(name, value.replace(/&#(\d+);/g, (_, c: string) => String.fromCharCode(Number(c))));
    }
    for (const [, id] of html.matchAll(/name="page_(\d+)" value="on" checked/g)) {
      if (id !== undefined && (options.pageIds === undefined || options.pageIds.includes(id))) form.set(`page_${id}`, 'on');
    }
    for (const [, name] of html.matchAll(/name="perm_([a-z_]+)" value="on" checked/g)) {
      if (name !== undefined && !(options.decline ?? []).includes(name)) form.set(`perm_${name}`, 'on');
    }
    form.set('action', options.action ?? 'allow');
    const response = await fetch(url, { method: 'POST', body: form, redirect: 'manual' });
    const location = response.headers.get('location');
    if (!location) throw new FacebookDialogError(response.status, await response.text());
    const redirect = new URL(location);
    return { location, code: redirect.searchParams.get('code'), state: redirect.searchParams.get('state'), error: redirect.searchParams.get('error') };
  }
}
