import type { SignupMode } from '@threadline/contract';
import type { HttpTimeouts } from '../http/server.ts';
import type { Cidr } from '../shared/net/ip-policy.ts';
import type { CrmSettings } from './crm-settings.ts';
import type { LoginThrottleSettings } from './login-throttle-settings.ts';
import type { TrustProxy } from './trust-proxy.ts';

/**
 * The configuration, read from the environment through the one schema (config/env-schema.ts; every key is
 * documented in .env.example; nothing else reads process.env). `loadConfig` collects every problem and reports them
 * together, so a bad boot names all of them at once, and warns about variables that look like Threadline's but are
 * not (a misspelt name is otherwise ignored in silence).
 */
export type Config = {
  port: number;
  host: string;
  publicBaseUrl: URL;
  /** https public URL: cookies get the `__Host-` prefix and `Secure`. */
  secureCookies: boolean;
  database: { kind: 'pglite'; dataDir: string } | { kind: 'postgres'; url: string; poolMax: number };
  dataDir: string;
  sessionSecret: string | undefined;
  encryptionKeys: string[];
  logLevel: string;
  logPretty: boolean;
  /** false: no proxy; a hop count; or the proxies' addresses and networks. */
  trustProxy: TrustProxy;
  /**
   * Where /metrics is served: on `port` (its own listener, the main port then has none) when set, else on the main
   * port to clients in `allowedNetworks` or presenting `token` as a bearer.
   */
  metrics: { port: number | null; host: string; token: string | undefined; allowedNetworks: Cidr[] };
  /** Non-fatal findings (unknown variables that look like ours), logged at boot and shown by `doctor`. */
  warnings: string[];
  bodyLimitBytes: number;
  http: HttpTimeouts;
  login: LoginThrottleSettings;
  signupMode: SignupMode;
  searchRatePerMinute: number;
  workersEnabled: boolean;
  instagram: {
    authorizeUrl: string;
    apiUrl: string;
    graphUrl: string;
    graphVersion: string;
    clientId: string | undefined;
    clientSecret: string | undefined;
    /** Every secret a Meta signature may be made with: the Instagram app secret(s), then the Meta app secret. */
    appSecrets: string[];
    verifyToken: string | undefined;
    humanAgentEnabled: boolean;
    /** Instagram Login: null when the app id or secret is missing (the OAuth routes then answer 503). */
    oauth: { clientId: string; clientSecret: string; redirectUri: string; scopes: string[] } | null;
    /**
     * The old single account (INSTAGRAM_BUSINESS_ACCOUNT_ID + INSTAGRAM_PAGE_ACCESS_TOKEN), until it is imported, and
     * which host its token belongs to (INSTAGRAM_LEGACY_API).
     */
    legacyAccount: { igUserId: string; accessToken: string } | null;
    legacyApi: 'auto' | 'facebook' | 'instagram';
    /** Long-lived tokens this close to expiry (and at least 24 h old) are refreshed. */
    tokenRefreshMarginMs: number;
  };
  /** Facebook Login and graph.facebook.com (accounts reached through a Facebook Page). */
  facebook: {
    dialogUrl: string;
    graphUrl: string;
    graphVersion: string;
    /** The Meta app's own id and secret (not the Instagram app's); null when either is missing: /oauth/facebook/* answer 503. */
    oauth: { appId: string; appSecret: string; redirectUri: string; scopes: string[] } | null;
    /** Secrets a Facebook signed_request may be made with: FACEBOOK_APP_SECRET, then META_APP_SECRET. */
    callbackSecrets: string[];
  };
  realtimeHeartbeatSeconds: number;
  realtimeStreamCaps: { perSession: number; perUser: number };
  sending: { textPerSecond: number; mediaPerSecond: number; unknownResolveAfterSeconds: number; reconcileIntervalMinutes: number };
  /** Reading a message from Meta when an edit came without its text: retries (with back-off from the delay) before giving up. */
  messageLookup: { retries: number; retryDelaySeconds: number };
  webhooks: { bodyLimitBytes: number; ackTimeoutMs: number; retentionDays: number; maxAttempts: number; concurrency: number; gatherMs: number };
  media: { mirror: boolean; maxBytes: number; dir: string; allowedNetworks: string | undefined; uploadLinkTtlSeconds: number; uploadsPerMinute: number; uploadQuotaBytes: number };
  crm: CrmSettings;
};
