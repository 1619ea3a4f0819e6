import { z } from 'zod';
import type {
  BusinessMessageInput, ClockInput, CommentInput, CreateAccountInput, CreateAppInput, CreateCustomerInput,
  CreateIgUserInput, CustomerMessageInput, EditInput, IssueTokenInput, PostbackInput, ReactionInput, ReferralInput,
  RevokeTokensInput, SeenInput, SubscribeInput, UpdateAccountInput, UpdateAppInput, VariantEventInput, WebhookConfigInput,
  WebhookModeInput,
} from './control/schemas.ts';
import { FacebookSimClient } from './facebook/client.ts';
import type { FaultInput } from './platform/faults.ts';
import {
  accountSchema, appSchema, attemptSchema, conversationSchema, customerSchema, deliverySchema, faultSchema,
  heldEventSchema, igUserSchema, messageSchema, outboxEntrySchema, stateDataSchema, subscriptionSchema, webhookModeSchema,
} from './state/schema.ts';
import { variantsSchema } from './variants.ts';
import type { VariantsPatch } from './variants.ts';

export type * from './control/schemas.ts';
export type { FaultInput } from './platform/faults.ts';
export type * from './facebook/client.ts';

const json = z.record(z.string(), z.unknown());
const eventResult = z.object({ event: json, deliveries: z.array(z.string()) });
const messageResult = eventResult.extend({ mid: z.string(), conversationId: z.string() });
const commentResult = eventResult.extend({ commentId: z.string() });
const variantResult = eventResult.extend({ variant: z.string(), mid: z.string().nullable() });
const tokenResult = z.object({ access_token: z.string(), token_type: z.string(), kind: z.enum(['short', 'long']), expires_in: z.number() });
const clockResult = z.object({ now: z.number(), iso: z.string(), frozen: z.boolean() });
const flushResult = z.object({ released: z.number(), attempted: z.number(), delivered: z.number(), failed: z.number() });
const conversationWithMessages = conversationSchema.extend({ messages: z.array(messageSchema) });
const errorBody = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

export type EventResult = z.infer<typeof eventResult>;
export type MessageResult = z.infer<typeof messageResult>;
export type VariantResult = z.infer<typeof variantResult>;
export type IssuedToken = z.infer<typeof tokenResult>;
export type SimClock = z.infer<typeof clockResult>;
export type FlushResult = z.infer<typeof flushResult>;
export interface AuthorizationResult {
  /** The full redirect Location. */
  location: string;
  code: string | null;
  state: string | null;
  error: string | null;
}

export class SimClientError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(`${status} ${code}: ${message}`);
    this.status = status;
    this.code = code;
  }
}

/** Typed client of the simulator's control API (`/_sim/…`), for Threadline's integration and end-to-end tests. */
export class SimClient {
  readonly baseUrl: string;
  /** The Facebook side (§7): people, Pages, Page tokens, the Login dialog. */
  readonly facebook: FacebookSimClient;
  constructor(baseUrl: string) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.facebook = new FacebookSimClient(this.baseUrl, (method, path, schema, body) => this.call(method, path, schema, body));
  }

  private async call<S extends z.ZodType>(method: string, path: string, schema: S, body?: unknown): Promise<z.output<S>> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });
    const payload: unknown = await response.json();
    if (!response.ok) {
      const parsed = errorBody.safeParse(payload);
      throw parsed.success
        ? new SimClientError(response.status, parsed.data.error.code, parsed.data.error.message)
        : new SimClientError(response.status, 'sim.unknown', JSON.stringify(payload));
    }
    return schema.parse(payload);
  }
  private query(params: Record<string, string | undefined>): string {
    const defined = Object.entries(params).filter((p): p is [string, string] => p[1] !== undefined);
    return defined.length ? `?${new URLSearchParams(defined).toString()}` : '';
  }

  // The simulated world
  createApp = (input: CreateAppInput = {}) => this.call('POST', '/_sim/apps', appSchema, input);
  updateApp = (appId: string, patch: UpdateAppInput) => this.call('PATCH', `/_sim/apps/${appId}`, appSchema, patch);
  /** Saves the callback URL; the simulator runs the hub.challenge handshake against it first. */
  setWebhook = (appId: string, input: WebhookConfigInput) => this.call('PUT', `/_sim/apps/${appId}/webhook`, appSchema, input);
  removeWebhook = (appId: string) => this.call('DELETE', `/_sim/apps/${appId}/webhook`, appSchema);
  createIgUser = (input: CreateIgUserInput = {}) => this.call('POST', '/_sim/ig-users', igUserSchema, input);
  /** Logs an Instagram user in on the authorize page. */
  setSession = (igUserId: string) => this.call('PUT', '/_sim/session', z.object({ igUserId: z.string() }), { igUserId });
  createAccount = (input: CreateAccountInput = {}) => this.call('POST', '/_sim/accounts', accountSchema, input);
  updateAccount = (igId: string, patch: UpdateAccountInput) => this.call('PATCH', `/_sim/accounts/${igId}`, accountSchema, patch);
  /** Makes the account's tokens answer 190 with this subcode (default 460, password changed). */
  revokeTokens = (igId: string, input: RevokeTokensInput = {}) =>
    this.call('POST', `/_sim/accounts/${igId}/revoke-tokens`, z.object({ revoked: z.number() }), input);
  createCustomer = (input: CreateCustomerInput = {}) => this.call('POST', '/_sim/customers', customerSchema, input);
  blockAccount = (igsid: string, accountId: string, blocked = true) =>
    this.call('POST', `/_sim/customers/${igsid}/block`, customerSchema, { accountId, blocked });
  issueToken = (input: IssueTokenInput) => this.call('POST', '/_sim/tokens', tokenResult, input);
  subscribe = (input: SubscribeInput) => this.call('POST', '/_sim/subscriptions', subscriptionSchema, input);

  // OAuth, as the browser would do it
  authorizeUrl(params: { clientId: string; redirectUri: string; scope?: string; state?: string }): string {
    const query = new URLSearchParams({
      client_id: params.clientId,
      redirect_uri: params.redirectUri,
      response_type: 'code',
      scope: params.scope ?? 'instagram_business_basic,instagram_business_manage_messages',
      ...(params.state === undefined ? {} : { state: params.state }),
    });
    return `${this.baseUrl}/oauth/authorize?${query.toString()}`;
  }
  /** Opens the consent page of `authorizeUrl` and clicks Allow (for `accountId`, default the first) or Cancel. */
  async authorize(authorizeUrl: string, options: { accountId?: string; action?: 'allow' | 'cancel' } = {}): Promise<AuthorizationResult> {
    const url = new URL(authorizeUrl);
    const page = await fetch(url);
    const html = await page.text();
    if (!page.ok) throw new SimClientError(page.status, 'sim.authorize_rejected', /data-error="([^"]*)"/.exec(html)?.[1] ?? html);
    const form = new URLSearchParams(url.searchParams);
    const firstAccount = /name="account_id" value="(\d+)"/.exec(html)?.[1];
    const accountId = options.accountId ?? firstAccount;
    if (accountId) form.set('account_id', accountId);
    form.set('action', options.action ?? 'allow');
    const response = await fetch(`${url.origin}/oauth/authorize`, { method: 'POST', body: form, redirect: 'manual' });
    const location = response.headers.get('location');
    if (!location) throw new SimClientError(response.status, 'sim.authorize_rejected', await response.text());
    const redirect = new URL(location);
    return {
      location,
      code: redirect.searchParams.get('code'),
      state: redirect.searchParams.get('state'),
      error: redirect.searchParams.get('error'),
    };
  }

  // What a customer does
  sendMessage = (igsid: string, input: CustomerMessageInput) => this.call('POST', `/_sim/customers/${igsid}/messages`, messageResult, input);
  sendText = (igsid: string, to: string, text: string) => this.sendMessage(igsid, { to, text });
  sendAttachment = (igsid: string, to: string, type: NonNullable<CustomerMessageInput['attachments']>[number]['type'], url: string) =>
    this.sendMessage(igsid, { to, attachments: [{ type, url }] });
  sendQuickReply = (igsid: string, to: string, text: string, payload: string) =>
    this.sendMessage(igsid, { to, text, quickReply: { payload } });
  sendReply = (igsid: string, to: string, text: string, mid: string) => this.sendMessage(igsid, { to, text, replyTo: { mid } });
  storyMention = (igsid: string, to: string, url: string) => this.sendAttachment(igsid, to, 'story_mention', url);
  storyReply = (igsid: string, to: string, text: string, story: { url: string; id: string }) =>
    this.sendMessage(igsid, { to, text, replyTo: { story } });
  share = (igsid: string, to: string, url: string, type: 'share' | 'ig_post' | 'ig_reel' | 'reel' = 'share') =>
    this.sendAttachment(igsid, to, type, url);
  react = (igsid: string, input: ReactionInput) => this.call('POST', `/_sim/customers/${igsid}/reactions`, eventResult, input);
  unreact = (igsid: string, to: string, mid: string) => this.react(igsid, { to, mid, action: 'unreact' });
  unsend = (igsid: string, to: string, mid: string) => this.call('POST', `/_sim/customers/${igsid}/unsend`, eventResult, { to, mid });
  edit = (igsid: string, input: EditInput) => this.call('POST', `/_sim/customers/${igsid}/edits`, eventResult, input);
  seen = (igsid: string, input: SeenInput) => this.call('POST', `/_sim/customers/${igsid}/seen`, eventResult, input);
  postback = (igsid: string, input: PostbackInput) => this.call('POST', `/_sim/customers/${igsid}/postbacks`, eventResult, input);
  referral = (igsid: string, input: ReferralInput) => this.call('POST', `/_sim/customers/${igsid}/referrals`, eventResult, input);
  comment = (igsid: string, input: CommentInput) => this.call('POST', `/_sim/customers/${igsid}/comments`, commentResult, input);
  /** One event in a shape of real traffic (§3.7), whatever the variants setting says; `mid` is the new message's, if any. */
  emitVariant = (igsid: string, input: VariantEventInput) => this.call('POST', `/_sim/customers/${igsid}/variants`, variantResult, input);
  /** The business replies from the Instagram app (apps get an echo). */
  businessSends = (igId: string, input: BusinessMessageInput) => this.call('POST', `/_sim/accounts/${igId}/messages`, messageResult, input);

  // What the app did
  outbox = (filter: { accountId?: string; recipientId?: string; appId?: string } = {}) =>
    this.call('GET', `/_sim/outbox${this.query(filter)}`, z.array(outboxEntrySchema));
  conversations = (accountId?: string) =>
    this.call('GET', `/_sim/conversations${this.query({ accountId })}`, z.array(conversationWithMessages));

  // Time, faults, variants
  clock = () => this.call('GET', '/_sim/clock', clockResult);
  advanceClock = (by: Pick<ClockInput, 'advanceMs' | 'advanceSeconds' | 'advanceHours' | 'advanceDays'>) =>
    this.call('POST', '/_sim/clock/advance', clockResult, by);
  setClock = (input: Pick<ClockInput, 'set' | 'frozen'>) => this.call('PUT', '/_sim/clock', clockResult, input);
  freezeClock = () => this.setClock({ frozen: true });
  unfreezeClock = () => this.setClock({ frozen: false });
  injectFault = (input: FaultInput) => this.call('POST', '/_sim/faults', faultSchema, input);
  faults = () => this.call('GET', '/_sim/faults', z.array(faultSchema));
  clearFaults = () => this.call('DELETE', '/_sim/faults', z.object({ cleared: z.boolean() }));
  variants = () => this.call('GET', '/_sim/variants', variantsSchema);
  setVariants = (patch: VariantsPatch) => this.call('PATCH', '/_sim/variants', variantsSchema, patch);

  // Webhook deliveries
  webhookMode = () => this.call('GET', '/_sim/webhooks/mode', webhookModeSchema);
  setWebhookMode = (patch: WebhookModeInput) => this.call('PATCH', '/_sim/webhooks/mode', webhookModeSchema, patch);
  /** Releases held events and attempts every pending delivery now. */
  flushWebhooks = () => this.call('POST', '/_sim/webhooks/flush', flushResult);
  heldEvents = () => this.call('GET', '/_sim/webhooks/held', z.array(heldEventSchema));
  deliveries = (filter: { appId?: string; status?: 'pending' | 'delivered' | 'dropped' } = {}) =>
    this.call('GET', `/_sim/webhooks/deliveries${this.query(filter)}`, z.array(deliverySchema));
  webhookAttempts = (filter: { appId?: string; deliveryId?: string } = {}) =>
    this.call('GET', `/_sim/webhooks/attempts${this.query(filter)}`, z.array(attemptSchema));

  state = () => this.call('GET', '/_sim/state', stateDataSchema);
  reset = () => this.call('POST', '/_sim/reset', z.object({ reset: z.boolean() }));
}
