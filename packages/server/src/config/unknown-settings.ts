/**
 * Warnings for environment variables that look like Threadline's but are not one of its settings: a misspelt
 * `INSTAGRAM_OAUTH_CLIENT_SECERT` would otherwise be ignored in silence while the real setting stays empty.
 * A variable "looks like ours" when it starts with one of our families' prefixes, or is a near miss of a known name.
 */
const FAMILY_PREFIXES = [
  'THREADLINE_',
  'INSTAGRAM_',
  'META_',
  'CRM_',
  'WEBHOOK_',
  'MEDIA_',
  'SEND_',
  'DATABASE_',
  'ENCRYPTION_',
  'TOKEN_',
  'LOGIN_',
  'METRICS_',
  'REALTIME_',
  'RECONCILE_',
  'LOG_',
  'SESSION_SECRET',
  'TRUST_PROXY',
  'PUBLIC_BASE',
];

/** Optimal-string-alignment distance: a swapped pair of letters counts as one edit. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const row = d[i] as number[];
      const prev = d[i - 1] as number[];
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, ((d[i - 2] as number[])[j - 2] as number) + 1);
      row[j] = best;
    }
  }
  return (d[a.length] as number[])[b.length] as number;
}

function closest(name: string, known: readonly string[]): { key: string; distance: number } | null {
  let best: { key: string; distance: number } | null = null;
  for (const key of known) {
    const distance = editDistance(name, key);
    if (!best || distance < best.distance) best = { key, distance };
  }
  return best;
}

/** One warning per unknown variable that looks like a Threadline setting, with the likely intended name. */
export function unknownSettingWarnings(env: Record<string, string | undefined>, known: readonly string[]): string[] {
  const knownSet = new Set(known);
  const warnings: string[] = [];
  for (const name of Object.keys(env).sort()) {
    if (knownSet.has(name) || env[name] === undefined) continue;
    const near = closest(name, known);
    const isNearMiss = near !== null && name.length >= 8 && near.distance <= 2;
    if (!isNearMiss && !FAMILY_PREFIXES.some((p) => name.startsWith(p))) continue;
    const hint = near && near.distance <= Math.max(3, Math.floor(name.length / 4)) ? ` (did you mean ${near.key}?)` : '';
    warnings.push(`${name} is not a Threadline setting and is ignored${hint}`);
  }
  return warnings;
}
