import { z } from 'zod';
import {
  FACEBOOK_DEFAULT_URLS,
  INSTAGRAM_DEFAULT_URLS,
  SIGNUP_MODES,
} from '@threadline/contract';

/**
 * Every environment variable Threadline reads, with its default, as one zod schema (each is documented in
 * .env.example). `loadConfig` (config.ts) parses the environment with it and builds the typed `Config`.
 */
const bool = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no', ''])
    .optional()
    .transform((v) => (v === undefined || v === '' ? fallback : ['true', '1', 'yes'].includes(v)));

const positiveInt = (fallback: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return fallback;
      const n = Number(v);
      if (!Number.isInteger(n) || n <= 0) {
        ctx.addIssue({ code: 'custom', message: `must be a positive whole number, got "${v}"` });
        return z.NEVER;
      }
      return n;
    });

const nonNegativeInt = (fallback: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return fallback;
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0) {
        ctx.addIssue({ code: 'custom', message: `must be a whole number (0 or more), got "${v}"` });
        return z.NEVER;
      }
      return n;
    });

const optionalText = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

export const envSchema = z.object({
  PORT: positiveInt(8000),
  HOST: z.string().default('127.0.0.1'),
  PUBLIC_BASE_URL: optionalText,
  DATABASE_URL: optionalText.refine((v) => v === undefined || /^postgres(ql)?:\/\//.test(v), {
    message: 'must be a postgres:// or postgresql:// URL',
  }),
  DATABASE_POOL_MAX: positiveInt(10),
  DATA_DIR: z.string().default('./data'),
  SESSION_SECRET: optionalText,
  ENCRYPTION_KEYS: optionalText,
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_PRETTY: z.enum(['auto', 'true', 'false']).default('auto'),
  TRUST_PROXY: optionalText,
  // Metrics (Prometheus): on their own port, or on the main port to allowed networks or with a bearer token
  METRICS_PORT: positiveInt(0),
  METRICS_HOST: optionalText,
  METRICS_TOKEN: optionalText.refine((v) => v === undefined || v.length >= 16, { message: 'must be at least 16 characters' }),
  METRICS_ALLOWED_NETWORKS: optionalText,
  BODY_LIMIT_BYTES: positiveInt(1_048_576),
  // HTTP server timeouts (seconds): the whole request, its headers, an idle connection, keep-alive between requests
  HTTP_REQUEST_TIMEOUT_SECONDS: positiveInt(120),
  HTTP_HEADERS_TIMEOUT_SECONDS: positiveInt(30),
  HTTP_IDLE_TIMEOUT_SECONDS: positiveInt(90),
  HTTP_KEEP_ALIVE_TIMEOUT_SECONDS: positiveInt(72),
  LOGIN_MAX_FAILURES_PER_USERNAME: positiveInt(5),
  LOGIN_MAX_FAILURES_PER_IP: positiveInt(30),
  LOGIN_FAILURE_WINDOW_SECONDS: positiveInt(900),
  LOGIN_LOCKOUT_BASE_SECONDS: positiveInt(30),
  LOGIN_LOCKOUT_MAX_SECONDS: positiveInt(900),
  LOGIN_USERNAME_CEILING: positiveInt(100),
  LOGIN_USERNAME_CEILING_SECONDS: positiveInt(300),
  WORKERS_ENABLED: bool(true),
  SIGNUP_MODE: z.enum(SIGNUP_MODES).default('invite'),
  SEARCH_RATE_PER_MINUTE: positiveInt(60),
  // Instagram platform (Meta, or the simulator in development)
  INSTAGRAM_AUTHORIZE_URL: z.url().default(INSTAGRAM_DEFAULT_URLS.authorize),
  INSTAGRAM_API_URL: z.url().default(INSTAGRAM_DEFAULT_URLS.api),
  INSTAGRAM_GRAPH_URL: z.url().default(INSTAGRAM_DEFAULT_URLS.graph),
  INSTAGRAM_GRAPH_VERSION: z.string().regex(/^v\d+\.\d+$/, 'must look like v25.0').default('v25.0'),
  INSTAGRAM_OAUTH_CLIENT_ID: optionalText,
  INSTAGRAM_OAUTH_CLIENT_SECRET: optionalText,
  INSTAGRAM_APP_SECRET: optionalText,
  META_APP_SECRET: optionalText,
  INSTAGRAM_VERIFY_TOKEN: optionalText,
  INSTAGRAM_HUMAN_AGENT_ENABLED: bool(false),
  SEND_RATE_TEXT_PER_SECOND: positiveInt(100),
  SEND_RATE_MEDIA_PER_SECOND: positiveInt(10),
  SEND_UNKNOWN_RESOLVE_AFTER_SECONDS: positiveInt(120),
  RECONCILE_INTERVAL_MINUTES: positiveInt(10),
  MESSAGE_LOOKUP_RETRIES: nonNegativeInt(5),
  MESSAGE_LOOKUP_RETRY_DELAY_SECONDS: nonNegativeInt(30),
  REALTIME_HEARTBEAT_SECONDS: positiveInt(15),
  REALTIME_MAX_STREAMS_PER_SESSION: positiveInt(5),
  REALTIME_MAX_STREAMS_PER_USER: positiveInt(20),
  // Instagram Login (OAuth) and the old single-account configuration
  INSTAGRAM_OAUTH_REDIRECT_URI: optionalText.refine((v) => v === undefined || URL.canParse(v), { message: 'must be a URL' }),
  INSTAGRAM_OAUTH_SCOPES: optionalText,
  INSTAGRAM_BUSINESS_ACCOUNT_ID: optionalText.refine((v) => v === undefined || /^\d+$/.test(v), { message: 'must be a numeric Instagram id' }),
  INSTAGRAM_PAGE_ACCESS_TOKEN: optionalText,
  // Which host the old single account's token belongs to: asked of Meta (auto), or said here.
  INSTAGRAM_LEGACY_API: z.enum(['auto', 'facebook', 'instagram']).default('auto'),
  TOKEN_REFRESH_MARGIN_DAYS: positiveInt(30),
  // Facebook Login: accounts reached through a Facebook Page (graph.facebook.com, Page tokens)
  FACEBOOK_APP_ID: optionalText.refine((v) => v === undefined || /^\d+$/.test(v), { message: 'must be the numeric Meta app id' }),
  FACEBOOK_APP_SECRET: optionalText,
  FACEBOOK_OAUTH_REDIRECT_URI: optionalText.refine((v) => v === undefined || URL.canParse(v), { message: 'must be a URL' }),
  FACEBOOK_OAUTH_SCOPES: optionalText,
  FACEBOOK_DIALOG_URL: z.url().default(FACEBOOK_DEFAULT_URLS.dialog),
  FACEBOOK_GRAPH_URL: z.url().default(FACEBOOK_DEFAULT_URLS.graph),
  // Unset: the same version as INSTAGRAM_GRAPH_VERSION.
  FACEBOOK_GRAPH_VERSION: optionalText.refine((v) => v === undefined || /^v\d+\.\d+$/.test(v), { message: 'must look like v25.0' }),
  // Webhook ingestion
  WEBHOOK_BODY_LIMIT_BYTES: positiveInt(1024 * 1024),
  WEBHOOK_ACK_TIMEOUT_MS: positiveInt(5_000),
  WEBHOOK_RETENTION_DAYS: positiveInt(30),
  WEBHOOK_MAX_ATTEMPTS: positiveInt(8),
  // 0 (unset): 4 loops on PostgreSQL, 1 on the single-connection embedded database.
  WEBHOOK_PROCESS_CONCURRENCY: positiveInt(0),
  // How long a webhook POST waits for others to be stored and applied with it, and an event stored unapplied for
  // others to join its processing round (0: none).
  WEBHOOK_GATHER_MS: nonNegativeInt(10),
  // Media mirrored out of Meta's expiring CDN
  MEDIA_MIRROR_ENABLED: bool(true),
  MEDIA_MAX_BYTES: positiveInt(25 * 1024 * 1024),
  MEDIA_DIR: optionalText,
  MEDIA_ALLOWED_NETWORKS: optionalText,
  UPLOAD_LINK_TTL_SECONDS: positiveInt(3600),
  UPLOADS_PER_MINUTE: positiveInt(30),
  UPLOAD_QUOTA_BYTES: positiveInt(1024 * 1024 * 1024),
  // CRM delivery
  CRM_ALLOWED_NETWORKS: optionalText,
  CRM_ALLOW_HTTP: bool(false),
  CRM_RETRY_SCHEDULE: optionalText,
  CRM_TIMEOUT_MS: positiveInt(15_000),
  CRM_DISABLE_AFTER_HOURS: positiveInt(120),
  CRM_SECRET_OVERLAP_HOURS: positiveInt(24),
  CRM_MAX_CONCURRENCY_PER_ENDPOINT: positiveInt(32),
  CRM_WORKER_CONCURRENCY: positiveInt(64),
  CRM_BACKLOG_PER_SECOND: nonNegativeInt(1000),
});

export type Env = Record<string, string | undefined>;

/** Every setting's name (each is documented in .env.example; a test keeps the two in step). */
export const SETTING_NAMES: readonly string[] = Object.keys(envSchema.shape);
