import { describe, expect, it } from 'vitest';
import { INSTAGRAM_GRAPH_ERRORS } from '@threadline/contract';
import type { InstagramGraphErrorName } from '@threadline/contract';
import { classifyGraphError, errorFromAnswer, GraphApiError } from './graph-errors.ts';
import type { GraphErrorClass, RequestSent } from './graph-errors.ts';
import { advisedWaitSeconds, EMPTY_USAGE, parseUsageHeaders } from './graph-usage.ts';

const send = { method: 'POST', path: '/v25.0/me/messages', idempotent: false };
const read = { method: 'GET', path: '/v25.0/me', idempotent: true };

function graphAnswer(code: number, subcode?: number, status = 400, headers: Record<string, string> = {}) {
  const h = new Headers(headers);
  const error = { message: 'm', type: 'OAuthException', code, fbtrace_id: 'AbC', ...(subcode ? { error_subcode: subcode } : {}) };
  return errorFromAnswer(send, { status, headers: h, body: { error }, usage: parseUsageHeaders(h) });
}

const lost = (requestSent: RequestSent, idempotent: boolean, failure: 'network' | 'timeout' = 'timeout') =>
  new GraphApiError({
    failure, message: 'x', httpStatus: null, code: null, subcode: null, type: null,
    method: 'POST', path: '/p', idempotent, requestSent,
  });

describe('classifyGraphError', () => {
  const cases: [number, number | undefined, GraphErrorClass][] = [
    [190, undefined, 'reauth'], [190, 460, 'reauth'], [190, 463, 'reauth'], [102, undefined, 'reauth'],
    [4, undefined, 'throttled'], [17, undefined, 'throttled'], [32, undefined, 'throttled'], [613, 2534040, 'throttled'],
    [341, undefined, 'throttled'], [80000, undefined, 'throttled'], [80002, undefined, 'throttled'], [80014, undefined, 'throttled'],
    [1, undefined, 'transient'], [2, undefined, 'transient'],
    [10, 2534022, 'window_closed'], [10, 2018278, 'window_closed'],
    [551, undefined, 'recipient_unavailable'], [551, 1545041, 'recipient_unavailable'],
    [200, 1545041, 'recipient_unavailable'], [10, 2018108, 'recipient_unavailable'],
    [100, 2018001, 'permanent'], [100, 2534014, 'permanent'], [100, 2534015, 'permanent'], [10, undefined, 'permanent'],
    [200, undefined, 'permanent'], [299, undefined, 'permanent'], [200, 2534041, 'permanent'], [80015, undefined, 'permanent'],
    [368, undefined, 'permanent'], [230, undefined, 'permanent'],
  ];
  it.each(cases)('classifies Graph error %i/%s as %s', (code, subcode, expected) => {
    expect(classifyGraphError(graphAnswer(code, subcode))).toBe(expected);
  });

  it('agrees with every entry of the contract error table that the reference classifies', () => {
    const expected: [InstagramGraphErrorName, GraphErrorClass][] = [
      ['tokenExpired', 'reauth'], ['sessionKeyInvalid', 'reauth'], ['bucRateLimit', 'throttled'],
      ['tooManyTaggedMessages', 'throttled'], ['unknown', 'transient'], ['serviceUnavailable', 'transient'],
      ['outsideWindowLegacy', 'window_closed'], ['recipientUnavailable', 'recipient_unavailable'],
      ['noMatchingInstagramUser', 'permanent'], ['ownerDisabledMessages', 'permanent'], ['abusiveRate', 'permanent'],
    ];
    for (const [name, want] of expected) {
      const def = INSTAGRAM_GRAPH_ERRORS[name];
      expect([name, classifyGraphError(graphAnswer(def.code, 'subcode' in def ? def.subcode : undefined, def.httpStatus))]).toEqual([name, want]);
    }
  });

  it('treats a bare 5xx as transient and a bare 429 as throttled, other bare 4xx as permanent', () => {
    const bare = (status: number) => errorFromAnswer(read, { status, headers: null, body: '<html>', usage: EMPTY_USAGE });
    expect(bare(502).failure).toBe('http');
    expect(classifyGraphError(bare(502))).toBe('transient');
    expect(classifyGraphError(bare(429))).toBe('throttled');
    expect(classifyGraphError(bare(404))).toBe('permanent');
  });

  it('classifies IGApiException errors exactly like OAuthException ones', () => {
    const answer = (type: string, code: number, subcode: number | undefined, status: number, message: string) =>
      errorFromAnswer(send, {
        status, headers: null, usage: EMPTY_USAGE,
        // graph.instagram.com's shape: no error_user_title, no is_transient (§3.7)
        body: { error: { message, type, code, ...(subcode ? { error_subcode: subcode } : {}), fbtrace_id: 'AI9L' } },
      });
    for (const [code, subcode] of cases.map(([c, s]) => [c, s] as const)) {
      expect([code, subcode, classifyGraphError(answer('IGApiException', code, subcode, 400, 'm'))]).toEqual([
        code, subcode, classifyGraphError(answer('OAuthException', code, subcode, 400, 'm')),
      ]);
    }
    const window = answer('IGApiException', 10, 2534022, 403, '(#10) This message is sent outside of allowed window.');
    expect(window).toMatchObject({ failure: 'graph', type: 'IGApiException', httpStatus: 403, code: 10, subcode: 2534022 });
    expect(classifyGraphError(window)).toBe('window_closed');
    expect(classifyGraphError(answer('IGApiException', 10, undefined, 403, '(#10) Application does not have permission'))).toBe('permanent');
    for (const status of [400, 500]) {
      expect(classifyGraphError(answer('IGApiException', 100, undefined, status, 'Unsupported request - method type: get'))).toBe('permanent');
    }
  });

  it('lets a specific code win over a 5xx status', () => {
    expect(classifyGraphError(graphAnswer(190, 460, 500))).toBe('reauth');
    expect(classifyGraphError(graphAnswer(100, 33, 500))).toBe('permanent');
  });

  it('calls a lost answer to a send unknown_outcome unless the request provably never left', () => {
    expect(classifyGraphError(lost('yes', false))).toBe('unknown_outcome');
    expect(classifyGraphError(lost('unknown', false, 'network'))).toBe('unknown_outcome');
    expect(classifyGraphError(lost('no', false))).toBe('transient');
    expect(classifyGraphError(lost('yes', true))).toBe('transient');
  });

  it('calls a malformed success answer unknown_outcome for a send and permanent for a read', () => {
    const bad = (idempotent: boolean) =>
      new GraphApiError({ failure: 'invalid_response', message: 'x', httpStatus: 200, code: null, subcode: null, type: null,
        method: 'GET', path: '/p', idempotent, requestSent: 'yes' });
    expect(classifyGraphError(bad(false))).toBe('unknown_outcome');
    expect(classifyGraphError(bad(true))).toBe('permanent');
  });

  it('calls anything that is not a GraphApiError permanent', () => {
    expect(classifyGraphError(new Error('bug'))).toBe('permanent');
    expect(classifyGraphError('nope')).toBe('permanent');
  });
});

describe('errorFromAnswer', () => {
  it('reads every field of the Graph envelope', () => {
    const body = {
      error: { message: '(#10) outside window', type: 'OAuthException', code: 10, error_subcode: 2534022,
        error_user_title: 'Message not sent', error_user_msg: 'Too late', fbtrace_id: 'Axyz', is_transient: false },
    };
    const error = errorFromAnswer(send, { status: 400, headers: null, body, usage: EMPTY_USAGE });
    expect(error).toMatchObject({
      failure: 'graph', httpStatus: 400, code: 10, subcode: 2534022, type: 'OAuthException', message: '(#10) outside window',
      userTitle: 'Message not sent', userMessage: 'Too late', fbtraceId: 'Axyz', isTransient: false, requestSent: 'yes',
      method: 'POST', path: '/v25.0/me/messages',
    });
  });

  it('keeps the code of an envelope that lacks type and fbtrace_id', () => {
    const error = errorFromAnswer(send, { status: 400, headers: null, body: { error: { code: 190 } }, usage: EMPTY_USAGE });
    expect([error.code, error.subcode, error.type]).toEqual([190, null, null]);
  });

  it('reads the OAuth endpoint shape {error_type, code, error_message}', () => {
    const body = { error_type: 'OAuthException', code: 400, error_message: 'Matching code was not found or was already used' };
    const error = errorFromAnswer(send, { status: 400, headers: null, body, usage: EMPTY_USAGE });
    expect(error).toMatchObject({ failure: 'oauth', code: 400, type: 'OAuthException', message: body.error_message });
    expect(classifyGraphError(error)).toBe('permanent');
  });

  it('advises the BUC estimated_time_to_regain_access, in seconds, on a throttled answer', () => {
    const error = graphAnswer(80002, undefined, 400, {
      'x-business-use-case-usage': JSON.stringify({ '1784': [{ type: 'instagram', call_count: 100, estimated_time_to_regain_access: 3 }] }),
    });
    expect(classifyGraphError(error)).toBe('throttled');
    expect(error.retryAfterSeconds).toBe(180);
    expect(error.usage.businessUseCase[0]).toMatchObject({ id: '1784', type: 'instagram', callCount: 100 });
  });
});

describe('usage headers', () => {
  it('parses X-App-Usage and every X-Business-Use-Case-Usage entry', () => {
    const usage = parseUsageHeaders(new Headers({
      'x-app-usage': '{"call_count":12,"total_cputime":3,"total_time":7}',
      'x-business-use-case-usage': '{"1":[{"type":"instagram","call_count":5,"total_time":1,"total_cputime":0,"estimated_time_to_regain_access":0}],"2":[{"type":"messenger"}]}',
    }));
    expect(usage.app).toEqual({ callCount: 12, totalCputime: 3, totalTime: 7, estimatedTimeToRegainAccessMinutes: null });
    expect(usage.businessUseCase.map((e) => [e.id, e.type, e.callCount])).toEqual([['1', 'instagram', 5], ['2', 'messenger', null]]);
  });

  it('ignores malformed usage headers instead of failing', () => {
    expect(parseUsageHeaders(new Headers({ 'x-app-usage': '{oops', 'x-business-use-case-usage': '[1]' }))).toEqual(EMPTY_USAGE);
  });

  it('takes the longest advised wait, then Retry-After, else none', () => {
    const headers = new Headers({ 'x-app-usage': '{"call_count":100,"estimated_time_to_regain_access":5}' });
    expect(advisedWaitSeconds(parseUsageHeaders(headers), headers)).toBe(300);
    expect(advisedWaitSeconds(EMPTY_USAGE, new Headers({ 'retry-after': '7' }))).toBe(7);
    expect(advisedWaitSeconds(EMPTY_USAGE, null)).toBeUndefined();
  });
});
