// Threadline over HTTP for the inbox benchmark: signing in, sequential timed GETs, and JSON calls with a session.
import { z } from 'zod';
import type { ReadCase } from './inbox-reads.ts';
import { percentile } from './stats.ts';

export type ReadMeasurement = { key: string; samples: number; p50: number; p95: number; p99: number; max: number; items: number };

const sessionSchema = z.object({ token: z.string() });
const pageSchema = z.object({ conversations: z.array(z.unknown()).optional(), messages: z.array(z.unknown()).optional() });

export async function callJson(origin: string, method: string, path: string, token: string | null, body?: unknown): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${origin}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = text;
  }
  return { status: res.status, json };
}

export async function signIn(origin: string, username: string, password: string): Promise<string> {
  const { status, json } = await callJson(origin, 'POST', '/api/v1/ui/session', null, { username, password });
  if (status !== 200) throw new Error(`sign-in as ${username} answered ${status}`);
  return sessionSchema.parse(json).token;
}

/** `warmup` untimed requests, then `samples` timed ones, one after another; any non-200 answer stops the bench. */
export async function measureRead(origin: string, token: string, c: ReadCase, warmup: number, samples: number): Promise<ReadMeasurement> {
  let items = -1;
  const once = async (i: number): Promise<number> => {
    const start = performance.now();
    const res = await fetch(`${origin}${c.path(i)}`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(30_000) });
    const text = await res.text();
    const ms = performance.now() - start;
    if (res.status !== 200) throw new Error(`${c.key}: GET ${c.path(i)} answered ${res.status}: ${text.slice(0, 300)}`);
    if (items < 0) {
      const page = pageSchema.parse(JSON.parse(text));
      items = (page.conversations ?? page.messages ?? []).length;
    }
    return ms;
  };
  for (let i = 0; i < warmup; i += 1) await once(i);
  const times: number[] = [];
  for (let i = 0; i < samples; i += 1) times.push(await once(i));
  times.sort((a, b) => a - b);
  return {
    key: c.key,
    samples: times.length,
    p50: percentile(times, 50),
    p95: percentile(times, 95),
    p99: percentile(times, 99),
    max: times.at(-1) ?? Number.NaN,
    items,
  };
}
