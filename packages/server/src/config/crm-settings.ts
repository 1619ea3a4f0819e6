import type { Cidr } from '../shared/net/ip-policy.ts';
import type { LookupAllFunction } from '../shared/net/url-policy.ts';

/** The operator's CRM settings (config.ts builds them from the CRM_* environment keys). */
export type CrmSettings = {
  /** networks opened despite being private (CRM_ALLOWED_NETWORKS) */
  allowedNetworks: Cidr[];
  /** plain http allowed (CRM_ALLOW_HTTP, or an http PUBLIC_BASE_URL) */
  allowHttp: boolean;
  /** waits before each attempt, the first usually 0 (CRM_RETRY_SCHEDULE) */
  retryScheduleMs: number[];
  /** the whole attempt: connect, send, answer (CRM_TIMEOUT_MS) */
  timeoutMs: number;
  /** an endpoint failing this long is disabled (CRM_DISABLE_AFTER_HOURS) */
  disableAfterMs: number;
  /** how long the previous secret keeps signing after a rotation (CRM_SECRET_OVERLAP_HOURS) */
  secretOverlapMs: number;
  /** attempts in flight to one endpoint: per process, and across processes for claimed ones (CRM_MAX_CONCURRENCY_PER_ENDPOINT) */
  maxConcurrencyPerEndpoint: number;
  /** attempts in flight in one process */
  workerConcurrency: number;
  /** claimed deliveries that were waiting (a backlog, retries) started per second per process; 0: unpaced (CRM_BACKLOG_PER_SECOND) */
  backlogPerSecond: number;
  /** how often an idle dispatcher looks for due deliveries */
  pollIntervalMs: number;
  /** replaces DNS (tests) */
  lookup?: LookupAllFunction;
};
