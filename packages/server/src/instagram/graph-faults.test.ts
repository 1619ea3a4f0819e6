import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { INSTAGRAM_TOKEN_ERROR_SUBCODES } from '@threadline/contract';
import { classifyGraphError, GraphApiError } from './graph-client.ts';
import { textMessage, senderActionBody } from './graph-send-bodies.ts';
import { clientFor, connectedWorld, cuttingServer, rawServer, silentServer, startSim } from './graph-test-world.ts';
import type { RawServer, SimHarness } from './graph-test-world.ts';

/** How the client reports Meta's failures and lost answers, and what each one is classified as. */

let h: SimHarness;
let w: Awaited<ReturnType<typeof connectedWorld>>;
const servers: RawServer[] = [];
beforeEach(async () => {
  h = await startSim();
  w = await connectedWorld(h);
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  await h.close();
});

const fail = (promise: Promise<unknown>) => promise.then(() => { throw new Error('expected a failure'); }, (e: unknown) => e);
const reply = () => textMessage(w.customer.igsid, 'Yes, in stock.');

describe('Meta errors', () => {
  it.each(Object.values(INSTAGRAM_TOKEN_ERROR_SUBCODES))('classifies a token revoked with 190/%i as reauth', async (subcode) => {
    await h.control.revokeTokens(w.account.igId, { subcode });
    const error = await fail(w.client.getMe(w.token));
    expect(error).toMatchObject({ failure: 'graph', code: 190, subcode, type: 'OAuthException', fbtraceId: expect.any(String) });
    expect(classifyGraphError(error)).toBe('reauth');
  });

  it('classifies an unknown token as reauth, on a send too', async () => {
    expect(classifyGraphError(await fail(w.client.sendMessage('IGAA-unknown', 'me', reply())))).toBe('reauth');
  });

  it.each([['unknown', 1, 500], ['serviceUnavailable', 2, 503]] as const)(
    'classifies error %s (code %i) as transient',
    async (name, code, httpStatus) => {
      await h.control.injectFault({ type: 'error', error: name, match: { pathIncludes: '/messages' } });
      const error = await fail(w.client.sendMessage(w.token, 'me', reply()));
      expect(error).toMatchObject({ failure: 'graph', code, httpStatus, isTransient: true, requestSent: 'yes' });
      expect(classifyGraphError(error)).toBe('transient');
    },
  );

  it('classifies a bare 5xx without a Graph body as transient', async () => {
    await h.control.injectFault({ type: 'status', httpStatus: 502 });
    const error = await fail(w.client.sendMessage(w.token, 'me', reply()));
    expect(error).toMatchObject({ failure: 'http', httpStatus: 502, code: null });
    expect(classifyGraphError(error)).toBe('transient');
  });

  it('classifies a media fetch failure as permanent', async () => {
    await h.control.injectFault({ type: 'error', error: 'mediaFetchFailed' });
    const error = await fail(w.client.sendMessage(w.token, 'me', reply()));
    expect(error).toMatchObject({ code: 100, subcode: 2018008 });
    expect(classifyGraphError(error)).toBe('permanent');
  });

  it('classifies the send rate limit as throttled and advises the wait of the usage header', async () => {
    await h.control.freezeClock();
    await h.control.setVariants({ rateLimits: { textPerSecond: 2 } });
    await w.client.sendMessage(w.token, 'me', reply());
    await w.client.sendMessage(w.token, 'me', reply());
    const error = await fail(w.client.sendMessage(w.token, 'me', reply()));
    expect(error).toMatchObject({ code: 613, subcode: 2534040, retryAfterSeconds: 60 });
    expect(classifyGraphError(error)).toBe('throttled');
    if (!(error instanceof GraphApiError)) throw error;
    expect(error.usage.businessUseCase[0]).toMatchObject({ id: w.account.igId, callCount: 100, estimatedTimeToRegainAccessMinutes: 1 });
  });

  it.each([['bucRateLimit', 80002], ['appRateLimit', 4], ['userRateLimit', 17], ['pageRateLimit', 32]] as const)(
    'classifies the %s variant of the Conversations API limit as throttled',
    async (variant, code) => {
      await h.control.freezeClock();
      await h.control.setVariants({ rateLimitError: variant, rateLimits: { conversationsPerSecond: 1 } });
      await w.client.listConversations(w.token);
      const error = await fail(w.client.listConversations(w.token));
      expect(error).toMatchObject({ code, retryAfterSeconds: 60 });
      expect(classifyGraphError(error)).toBe('throttled');
    },
  );
});

describe('lost answers', () => {
  it('classifies a slow answer to a read as a transient timeout', async () => {
    await h.control.injectFault({ type: 'delay', delayMs: 1500, match: { pathIncludes: '/me' } });
    const client = clientFor(h.url, { timeoutMs: 150 });
    const error = await fail(client.getMe(w.token));
    expect(error).toMatchObject({ failure: 'timeout', httpStatus: null, requestSent: 'yes' });
    expect(classifyGraphError(error)).toBe('transient');
  });

  it('classifies a slow answer to a send as unknown_outcome: the message may still go out', async () => {
    await h.control.injectFault({ type: 'delay', delayMs: 1500, match: { pathIncludes: '/messages' } });
    const client = clientFor(h.url, { timeoutMs: 150 });
    const error = await fail(client.sendMessage(w.token, 'me', reply()));
    expect(error).toMatchObject({ failure: 'timeout', requestSent: 'yes', idempotent: false });
    expect(classifyGraphError(error)).toBe('unknown_outcome');
  });

  it('classifies a slow answer to a typing indicator as transient, since repeating one is harmless', async () => {
    await h.control.injectFault({ type: 'delay', delayMs: 1500, match: { pathIncludes: '/messages' } });
    const client = clientFor(h.url, { timeoutMs: 150 });
    const error = await fail(client.sendMessage(w.token, 'me', senderActionBody(w.customer.igsid, 'typing_on')));
    expect(classifyGraphError(error)).toBe('transient');
  });

  it('classifies a timeout before the send was written (stuck TLS handshake) as transient', async () => {
    const silent = await silentServer();
    servers.push(silent);
    const client = clientFor(silent.url, { timeoutMs: 200 });
    const error = await fail(client.sendMessage(w.token, 'me', reply()));
    expect(error).toMatchObject({ failure: 'timeout', requestSent: 'no' });
    expect(classifyGraphError(error)).toBe('transient');
  });

  it('classifies a refused connection as transient, even for a send', async () => {
    const closed = await rawServer(() => undefined);
    await closed.close();
    const error = await fail(clientFor(closed.url).sendMessage(w.token, 'me', reply()));
    expect(error).toMatchObject({ failure: 'network', requestSent: 'no' });
    expect(classifyGraphError(error)).toBe('transient');
  });

  it('classifies a send whose connection is cut after the request as unknown_outcome', async () => {
    const cut = await cuttingServer('');
    servers.push(cut);
    const error = await fail(clientFor(cut.url).sendMessage(w.token, 'me', reply()));
    expect(error).toMatchObject({ failure: 'network', httpStatus: null, requestSent: 'yes' });
    expect(classifyGraphError(error)).toBe('unknown_outcome');
  });

  it('classifies a send whose answer is cut mid-body as unknown_outcome, and the same cut on a read as transient', async () => {
    const cut = await cuttingServer('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 200\r\n\r\n{"recipient_id":"1');
    servers.push(cut);
    const client = clientFor(cut.url);
    const sendError = await fail(client.sendMessage(w.token, 'me', reply()));
    expect(sendError).toMatchObject({ failure: 'network', httpStatus: 200, requestSent: 'yes' });
    expect(classifyGraphError(sendError)).toBe('unknown_outcome');
    expect(classifyGraphError(await fail(client.getMe(w.token)))).toBe('transient');
  });

  it('classifies a success answer that is not JSON as unknown_outcome for a send', async () => {
    const html = await cuttingServer('HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: 13\r\nconnection: close\r\n\r\n<html></html>');
    servers.push(html);
    const error = await fail(clientFor(html.url).sendMessage(w.token, 'me', reply()));
    expect(error).toMatchObject({ failure: 'invalid_response', httpStatus: 200 });
    expect(classifyGraphError(error)).toBe('unknown_outcome');
  });

  it('cannot tell whether another fetch sent a lost request, so a send is unknown_outcome and a read transient', async () => {
    const broken: typeof fetch = () => Promise.reject(new TypeError('fetch failed'));
    const client = clientFor(h.url, { fetch: broken });
    const sendError = await fail(client.sendMessage(w.token, 'me', reply()));
    expect(sendError).toMatchObject({ failure: 'network', requestSent: 'unknown' });
    expect(classifyGraphError(sendError)).toBe('unknown_outcome');
    expect(classifyGraphError(await fail(client.getMe(w.token)))).toBe('transient');
  });

  it('says nothing in a network error that reveals the token or the app secret, even from a token endpoint', async () => {
    const cut = await cuttingServer('');
    servers.push(cut);
    const client = clientFor(cut.url, { clientSecret: 'the-app-secret' });
    for (const error of [await fail(client.getMe(w.token)), await fail(client.exchangeForLongLived(w.token))]) {
      const chain: unknown[] = [];
      for (let e: unknown = error; e instanceof Error; e = e.cause) chain.push(String(e), e.stack, JSON.stringify(e));
      expect(chain.join('\n')).not.toContain(w.token);
      expect(chain.join('\n')).not.toContain('the-app-secret');
    }
  });
});
