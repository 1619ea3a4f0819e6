import { z } from 'zod';

/**
 * Meta's usage headers (platform reference §6), parsed. `X-App-Usage` carries the app's platform limits as
 * percentages; `X-Business-Use-Case-Usage` (BUC, where Instagram Platform calls are counted) carries one list of
 * entries per business object id, with `estimated_time_to_regain_access` in minutes when throttled.
 */

export interface GraphAppUsage {
  callCount: number | null;
  totalCputime: number | null;
  totalTime: number | null;
  /** Minutes, when Meta adds it (it does for some app-level limits). */
  estimatedTimeToRegainAccessMinutes: number | null;
}

export interface GraphBusinessUseCaseUsage {
  /** The business object id the entry counts against (the IG account id). */
  id: string;
  type: string | null;
  callCount: number | null;
  totalCputime: number | null;
  totalTime: number | null;
  estimatedTimeToRegainAccessMinutes: number | null;
}

export interface GraphUsage {
  app: GraphAppUsage | null;
  businessUseCase: GraphBusinessUseCaseUsage[];
}

export const EMPTY_USAGE: GraphUsage = Object.freeze({ app: null, businessUseCase: [] });

const metric = z.number().nullable().catch(null).optional();
const appUsageSchema = z.object({
  call_count: metric,
  total_cputime: metric,
  total_time: metric,
  estimated_time_to_regain_access: metric,
});
const bucEntrySchema = appUsageSchema.extend({ type: z.string().nullable().catch(null).optional() });
const bucSchema = z.record(z.string(), z.array(z.unknown()));

function parseJsonHeader(value: string | null): unknown {
  if (value === null || value.trim() === '') return undefined;
  try {
    return JSON.parse(value);
  } catch {
    return undefined;
  }
}

function appUsageOf(raw: z.infer<typeof appUsageSchema>): GraphAppUsage {
  return {
    callCount: raw.call_count ?? null,
    totalCputime: raw.total_cputime ?? null,
    totalTime: raw.total_time ?? null,
    estimatedTimeToRegainAccessMinutes: raw.estimated_time_to_regain_access ?? null,
  };
}

/** Parses both usage headers; a malformed header is ignored rather than failing the call it came with. */
export function parseUsageHeaders(headers: Headers): GraphUsage {
  const app = appUsageSchema.safeParse(parseJsonHeader(headers.get('x-app-usage')));
  const buc = bucSchema.safeParse(parseJsonHeader(headers.get('x-business-use-case-usage')));
  const businessUseCase: GraphBusinessUseCaseUsage[] = [];
  if (buc.success) {
    for (const [id, entries] of Object.entries(buc.data)) {
      for (const entry of entries) {
        const parsed = bucEntrySchema.safeParse(entry);
        if (parsed.success) businessUseCase.push({ id, type: parsed.data.type ?? null, ...appUsageOf(parsed.data) });
      }
    }
  }
  return { app: app.success ? appUsageOf(app.data) : null, businessUseCase };
}

/**
 * How long Meta advises waiting, in seconds: the largest `estimated_time_to_regain_access` (minutes) of the usage
 * headers, else a `Retry-After` header in seconds. Undefined when no positive wait is advised.
 */
export function advisedWaitSeconds(usage: GraphUsage, headers: Headers | null): number | undefined {
  const minutes = [
    usage.app?.estimatedTimeToRegainAccessMinutes ?? 0,
    ...usage.businessUseCase.map((entry) => entry.estimatedTimeToRegainAccessMinutes ?? 0),
  ];
  const longest = Math.max(...minutes);
  if (longest > 0) return longest * 60;
  const retryAfter = Number(headers?.get('retry-after') ?? Number.NaN);
  return Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined;
}
