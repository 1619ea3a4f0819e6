// The few Threadline API calls the ingestion benchmark needs: the first-run admin, a session, and whether any raw
// webhook event is still waiting to be processed.
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';

const sessionSchema = z.object({ token: z.string() });
const listSchema = z.object({ events: z.array(z.object({ id: z.number() })) });

async function postJson(url: string, body: unknown): Promise<unknown> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const json: unknown = await res.json();
  if (!res.ok) throw new Error(`${url} answered ${res.status}`);
  return json;
}

export async function createFirstAdmin(origin: string, username: string, password: string): Promise<string> {
  return sessionSchema.parse(await postJson(`${origin}/api/v1/setup`, { username, password })).token;
}

export async function login(origin: string, username: string, password: string): Promise<string> {
  return sessionSchema.parse(await postJson(`${origin}/api/v1/ui/session`, { username, password })).token;
}

export async function hasReceivedBacklog(origin: string, token: string): Promise<boolean> {
  const res = await fetch(`${origin}/api/v1/admin/webhook-events?status=received&limit=1`, {
    headers: { authorization: `Bearer ${token}` },
    signal: AbortSignal.timeout(10_000),
  });
  if (!res.ok) throw new Error(`webhook-events listing answered ${res.status}`);
  return listSchema.parse(await res.json()).events.length > 0;
}

/** Polls until no `received` row is left; the ms it took, or null when `maxMs` ran out first. */
export async function waitUntilDrained(origin: string, token: string, maxMs: number): Promise<number | null> {
  const start = performance.now();
  while (performance.now() - start < maxMs) {
    if (!(await hasReceivedBacklog(origin, token))) return performance.now() - start;
    await sleep(100);
  }
  return null;
}
