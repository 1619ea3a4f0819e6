import path from 'node:path';
import { DEFAULT_FACEBOOK_OAUTH_SCOPES, DEFAULT_OAUTH_SCOPES } from '@threadline/contract';
import type { Config } from './config/config-type.ts';
import { DEFAULT_RETRY_SCHEDULE_MS, parseRetrySchedule } from './config/retry-schedule.ts';
import { parseCidrList, type Cidr } from './shared/net/ip-policy.ts';
import type { CrmSettings } from './config/crm-settings.ts';
import { parseTrustProxy } from './config/trust-proxy.ts';
import { unknownSettingWarnings } from './config/unknown-settings.ts';
import { envSchema, SETTING_NAMES, type Env } from './config/env-schema.ts';
import { sessionSecretProblems } from './config/session-secret.ts';

export { SETTING_NAMES, type Config, type Env };
export { sessionSecretWeakness } from './config/session-secret.ts';

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/**
 * The configuration (its shape: config/config-type.ts), read from the environment through the one schema; every
 * problem is collected and reported together.
 */
export function loadConfig(env: Env = process.env, opts: { isTty?: boolean } = {}): Config {
  const problems: string[] = [];
  let parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    // Name every bad key, then check everything else with those keys at their defaults, so one run lists all
    // problems (a bad PORT must not hide a missing SESSION_SECRET until the next boot).
    const broken = new Set<string>();
    for (const issue of parsed.error.issues) {
      problems.push(`${issue.path.join('.')}: ${issue.message}`);
      broken.add(String(issue.path[0]));
    }
    parsed = envSchema.safeParse(Object.fromEntries(Object.entries(env).filter(([k]) => !broken.has(k))));
    if (!parsed.success) throw new ConfigError(problems);
  }
  const e = parsed.data;

  let publicBaseUrl: URL | undefined;
  try {
    publicBaseUrl = new URL(e.PUBLIC_BASE_URL ?? `http://localhost:${e.PORT}`);
    if (!['http:', 'https:'].includes(publicBaseUrl.protocol)) problems.push('PUBLIC_BASE_URL: must be http(s)');
  } catch {
    problems.push(`PUBLIC_BASE_URL: not a URL: "${e.PUBLIC_BASE_URL}"`);
  }

  const encryptionKeys = (e.ENCRYPTION_KEYS ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);
  for (const [i, key] of encryptionKeys.entries()) {
    if (!/^[A-Za-z0-9_-]{43}=$/.test(key)) {
      problems.push(`ENCRYPTION_KEYS: key #${i + 1} is not a Fernet key (url-safe base64 of 32 bytes)`);
    }
  }

  problems.push(...sessionSecretProblems(env.DATABASE_URL, e.SESSION_SECRET));
  for (const name of ['HTTP_REQUEST_TIMEOUT_SECONDS', 'HTTP_HEADERS_TIMEOUT_SECONDS', 'HTTP_IDLE_TIMEOUT_SECONDS', 'HTTP_KEEP_ALIVE_TIMEOUT_SECONDS'] as const) {
    if (e[name] < 1) problems.push(`${name}: must be at least 1 (a server without this timeout can be held open by slow clients)`);
  }
  if (e.HTTP_HEADERS_TIMEOUT_SECONDS > e.HTTP_REQUEST_TIMEOUT_SECONDS) {
    problems.push('HTTP_HEADERS_TIMEOUT_SECONDS: must not exceed HTTP_REQUEST_TIMEOUT_SECONDS');
  }
  if (e.REALTIME_HEARTBEAT_SECONDS >= e.HTTP_IDLE_TIMEOUT_SECONDS) {
    problems.push('REALTIME_HEARTBEAT_SECONDS: must be shorter than HTTP_IDLE_TIMEOUT_SECONDS, or idle live streams are cut');
  }

  const trustProxy = parseTrustProxy(e.TRUST_PROXY);
  if ('problem' in trustProxy) problems.push(`TRUST_PROXY: ${trustProxy.problem}`);
  let metricsAllowedNetworks: Cidr[] = [];
  try {
    metricsAllowedNetworks = parseCidrList(e.METRICS_ALLOWED_NETWORKS ?? '127.0.0.0/8,::1/128');
  } catch (error) {
    problems.push(`METRICS_ALLOWED_NETWORKS: ${error instanceof Error ? error.message : 'not a list of CIDRs'}`);
  }
  if (e.METRICS_PORT !== 0 && e.METRICS_PORT === e.PORT) problems.push('METRICS_PORT: must differ from PORT');

  let crmAllowedNetworks: CrmSettings['allowedNetworks'] = [];
  try {
    crmAllowedNetworks = parseCidrList(e.CRM_ALLOWED_NETWORKS ?? '');
  } catch (error) {
    problems.push(`CRM_ALLOWED_NETWORKS: ${error instanceof Error ? error.message : 'not a list of CIDRs'}`);
  }
  let crmRetrySchedule = [...DEFAULT_RETRY_SCHEDULE_MS];
  try {
    if (e.CRM_RETRY_SCHEDULE !== undefined) crmRetrySchedule = parseRetrySchedule(e.CRM_RETRY_SCHEDULE);
  } catch (error) {
    problems.push(`CRM_RETRY_SCHEDULE: ${error instanceof Error ? error.message : 'not a schedule'}`);
  }

  if ((e.INSTAGRAM_BUSINESS_ACCOUNT_ID === undefined) !== (e.INSTAGRAM_PAGE_ACCESS_TOKEN === undefined)) {
    problems.push('INSTAGRAM_BUSINESS_ACCOUNT_ID and INSTAGRAM_PAGE_ACCESS_TOKEN: set both (the old single account) or neither');
  }
  const oauthScopes = (e.INSTAGRAM_OAUTH_SCOPES ?? DEFAULT_OAUTH_SCOPES.join(','))
    .split(/[\s,]+/)
    .filter(Boolean);

  const facebookScopes = (e.FACEBOOK_OAUTH_SCOPES ?? DEFAULT_FACEBOOK_OAUTH_SCOPES.join(','))
    .split(/[\s,]+/)
    .filter(Boolean);

  if (problems.length > 0 || !publicBaseUrl || 'problem' in trustProxy) throw new ConfigError(problems);

  const dataDir = path.resolve(e.DATA_DIR);
  return {
    port: e.PORT,
    host: e.HOST,
    publicBaseUrl,
    secureCookies: publicBaseUrl.protocol === 'https:',
    database: e.DATABASE_URL
      ? { kind: 'postgres', url: e.DATABASE_URL, poolMax: e.DATABASE_POOL_MAX }
      : { kind: 'pglite', dataDir: path.join(dataDir, 'pglite') },
    dataDir,
    sessionSecret: e.SESSION_SECRET,
    encryptionKeys,
    logLevel: e.LOG_LEVEL,
    logPretty: e.LOG_PRETTY === 'auto' ? Boolean(opts.isTty) : e.LOG_PRETTY === 'true',
    trustProxy: trustProxy.value,
    metrics: {
      port: e.METRICS_PORT === 0 ? null : e.METRICS_PORT,
      host: e.METRICS_HOST ?? e.HOST,
      token: e.METRICS_TOKEN,
      allowedNetworks: metricsAllowedNetworks,
    },
    warnings: unknownSettingWarnings(env, SETTING_NAMES),
    bodyLimitBytes: e.BODY_LIMIT_BYTES,
    http: {
      requestMs: e.HTTP_REQUEST_TIMEOUT_SECONDS * 1000,
      headersMs: e.HTTP_HEADERS_TIMEOUT_SECONDS * 1000,
      idleMs: e.HTTP_IDLE_TIMEOUT_SECONDS * 1000,
      keepAliveMs: e.HTTP_KEEP_ALIVE_TIMEOUT_SECONDS * 1000,
    },
    login: {
      maxFailuresPerUsername: e.LOGIN_MAX_FAILURES_PER_USERNAME,
      maxFailuresPerIp: e.LOGIN_MAX_FAILURES_PER_IP,
      windowSeconds: e.LOGIN_FAILURE_WINDOW_SECONDS,
      lockoutBaseSeconds: e.LOGIN_LOCKOUT_BASE_SECONDS,
      lockoutMaxSeconds: e.LOGIN_LOCKOUT_MAX_SECONDS,
      usernameCeiling: e.LOGIN_USERNAME_CEILING,
      usernameCeilingSeconds: e.LOGIN_USERNAME_CEILING_SECONDS,
    },
    workersEnabled: e.WORKERS_ENABLED,
    signupMode: e.SIGNUP_MODE,
    searchRatePerMinute: e.SEARCH_RATE_PER_MINUTE,
    instagram: {
      authorizeUrl: e.INSTAGRAM_AUTHORIZE_URL,
      apiUrl: e.INSTAGRAM_API_URL.replace(/\/+$/, ''),
      graphUrl: e.INSTAGRAM_GRAPH_URL.replace(/\/+$/, ''),
      graphVersion: e.INSTAGRAM_GRAPH_VERSION,
      clientId: e.INSTAGRAM_OAUTH_CLIENT_ID,
      clientSecret: e.INSTAGRAM_OAUTH_CLIENT_SECRET,
      appSecrets: [
        ...new Set(
          [e.INSTAGRAM_OAUTH_CLIENT_SECRET, e.INSTAGRAM_APP_SECRET, e.META_APP_SECRET, e.FACEBOOK_APP_SECRET].filter((v): v is string => Boolean(v)),
        ),
      ],
      verifyToken: e.INSTAGRAM_VERIFY_TOKEN,
      humanAgentEnabled: e.INSTAGRAM_HUMAN_AGENT_ENABLED,
      oauth:
        e.INSTAGRAM_OAUTH_CLIENT_ID && e.INSTAGRAM_OAUTH_CLIENT_SECRET
          ? {
              clientId: e.INSTAGRAM_OAUTH_CLIENT_ID,
              clientSecret: e.INSTAGRAM_OAUTH_CLIENT_SECRET,
              redirectUri: e.INSTAGRAM_OAUTH_REDIRECT_URI ?? `${publicBaseUrl.href.replace(/\/+$/, '')}/oauth/instagram/callback`,
              scopes: oauthScopes,
            }
          : null,
      legacyAccount:
        e.INSTAGRAM_BUSINESS_ACCOUNT_ID && e.INSTAGRAM_PAGE_ACCESS_TOKEN
          ? { igUserId: e.INSTAGRAM_BUSINESS_ACCOUNT_ID, accessToken: e.INSTAGRAM_PAGE_ACCESS_TOKEN }
          : null,
      legacyApi: e.INSTAGRAM_LEGACY_API,
      tokenRefreshMarginMs: e.TOKEN_REFRESH_MARGIN_DAYS * 86_400_000,
    },
    facebook: {
      dialogUrl: e.FACEBOOK_DIALOG_URL.replace(/\/+$/, ''),
      graphUrl: e.FACEBOOK_GRAPH_URL.replace(/\/+$/, ''),
      graphVersion: e.FACEBOOK_GRAPH_VERSION ?? e.INSTAGRAM_GRAPH_VERSION,
      oauth:
        e.FACEBOOK_APP_ID && e.FACEBOOK_APP_SECRET
          ? {
              appId: e.FACEBOOK_APP_ID,
              appSecret: e.FACEBOOK_APP_SECRET,
              redirectUri: e.FACEBOOK_OAUTH_REDIRECT_URI ?? `${publicBaseUrl.href.replace(/\/+$/, '')}/oauth/facebook/callback`,
              scopes: facebookScopes,
            }
          : null,
      callbackSecrets: [...new Set([e.FACEBOOK_APP_SECRET, e.META_APP_SECRET].filter((v): v is string => Boolean(v)))],
    },
    realtimeHeartbeatSeconds: e.REALTIME_HEARTBEAT_SECONDS,
    realtimeStreamCaps: { perSession: Math.max(1, e.REALTIME_MAX_STREAMS_PER_SESSION), perUser: Math.max(1, e.REALTIME_MAX_STREAMS_PER_USER) },
    sending: {
      textPerSecond: e.SEND_RATE_TEXT_PER_SECOND,
      mediaPerSecond: e.SEND_RATE_MEDIA_PER_SECOND,
      unknownResolveAfterSeconds: e.SEND_UNKNOWN_RESOLVE_AFTER_SECONDS,
      reconcileIntervalMinutes: e.RECONCILE_INTERVAL_MINUTES,
    },
    messageLookup: { retries: e.MESSAGE_LOOKUP_RETRIES, retryDelaySeconds: e.MESSAGE_LOOKUP_RETRY_DELAY_SECONDS },
    webhooks: {
      bodyLimitBytes: e.WEBHOOK_BODY_LIMIT_BYTES,
      ackTimeoutMs: e.WEBHOOK_ACK_TIMEOUT_MS,
      retentionDays: e.WEBHOOK_RETENTION_DAYS,
      maxAttempts: e.WEBHOOK_MAX_ATTEMPTS,
      concurrency: e.WEBHOOK_PROCESS_CONCURRENCY || (e.DATABASE_URL ? 4 : 1),
      gatherMs: e.WEBHOOK_GATHER_MS,
    },
    media: {
      mirror: e.MEDIA_MIRROR_ENABLED,
      maxBytes: e.MEDIA_MAX_BYTES,
      dir: path.resolve(e.MEDIA_DIR ?? path.join(dataDir, 'media')),
      allowedNetworks: e.MEDIA_ALLOWED_NETWORKS,
      uploadLinkTtlSeconds: e.UPLOAD_LINK_TTL_SECONDS,
      uploadsPerMinute: e.UPLOADS_PER_MINUTE,
      uploadQuotaBytes: e.UPLOAD_QUOTA_BYTES,
    },
    crm: {
      allowedNetworks: crmAllowedNetworks,
      allowHttp: e.CRM_ALLOW_HTTP || publicBaseUrl.protocol === 'http:',
      retryScheduleMs: crmRetrySchedule,
      timeoutMs: e.CRM_TIMEOUT_MS,
      disableAfterMs: e.CRM_DISABLE_AFTER_HOURS * 3_600_000,
      secretOverlapMs: e.CRM_SECRET_OVERLAP_HOURS * 3_600_000,
      maxConcurrencyPerEndpoint: e.CRM_MAX_CONCURRENCY_PER_ENDPOINT,
      workerConcurrency: e.CRM_WORKER_CONCURRENCY,
      backlogPerSecond: e.CRM_BACKLOG_PER_SECOND,
      // a safety net (retries another process wrote, claims of a process that died): work is found by pokes,
      // announcements and retry timers (crm-dispatcher.ts), and an idle claim scans
      pollIntervalMs: 1_000,
    },
  };
}
