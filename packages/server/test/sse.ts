import { bearer } from './app.ts';

/** An SSE stream read over fetch: whether it has opened, the events it got, and when it ended. */
export function openStream(base: string, token: string) {
  const controller = new AbortController();
  const state = { opened: false, endedAt: null as number | null, events: [] as string[] };
  const done = fetch(`${base}/api/v1/ui/events`, { headers: { ...bearer(token), accept: 'text/event-stream' }, signal: controller.signal })
    .then(async (res) => {
      if (!res.body || res.status !== 200) return;
      const reader = res.body.getReader();
      for (;;) {
        const { value, done: finished } = await reader.read();
        if (finished) break;
        const text = new TextDecoder().decode(value);
        if (text.includes('retry:')) state.opened = true;
        for (const m of text.matchAll(/^event: (\S+)$/gm)) state.events.push(m[1] ?? '');
      }
    })
    .catch(() => undefined)
    .finally(() => {
      state.endedAt = Date.now();
    });
  return { state, close: async () => (controller.abort(), await done) };
}

export async function until(check: () => boolean, what: string, ms = 10_000) {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

