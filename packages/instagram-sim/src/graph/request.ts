import type { FastifyReply, FastifyRequest } from 'fastify';
import { INSTAGRAM_GRAPH_VERSION_PATTERN } from '@threadline/contract';
import type { SimContext } from '../context.ts';
import { authenticate, tokenFromRequest } from '../oauth/tokens.ts';
import { graphError, invalidParameter } from '../platform/errors.ts';
import { mergedParams } from '../platform/forms.ts';
import { usageHeaders } from '../platform/rate-limits.ts';
import type { RateBucket } from '../platform/rate-limits.ts';
import type { SimAccount, SimToken } from '../state/schema.ts';
import type { JsonObject } from '../messaging/json.ts';

export interface GraphCall {
  params: JsonObject;
  token: SimToken;
  account: SimAccount;
}

/** Checks the version segment, the token (190 family), and returns the merged parameters. */
export function graphCall(ctx: SimContext, request: FastifyRequest, version: string): GraphCall {
  if (!INSTAGRAM_GRAPH_VERSION_PATTERN.test(version)) throw invalidParameter(`Unknown path components: /${version}`);
  const params = mergedParams(request.query, request.body);
  const value = tokenFromRequest(request.headers, params);
  if (value === null) throw graphError('missingToken');
  const token = authenticate(ctx.state, ctx.clock, value);
  const account = ctx.state.account(token.accountId);
  if (!account) throw graphError('invalidToken');
  return { params, token, account };
}

/** `me` or the token's own IG_ID; any other node is unknown to this token (100/33). */
export function ownAccountPath(call: GraphCall, id: string, method: string, edge: string): void {
  if (id === 'me' || id === call.account.igId) return;
  throw graphError('objectNotFound', {
    message: `Unsupported ${method.toLowerCase()} request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation${edge ? ` (${edge})` : ''}.`,
  });
}

/** Counts the call against the account's per second limit and sets the usage headers (§6). */
export function rateLimit(ctx: SimContext, reply: FastifyReply, accountId: string, bucket: RateBucket): void {
  const limits = ctx.state.data.variants.rateLimits;
  const limit =
    bucket === 'media' ? limits.mediaPerSecond : bucket === 'conversations' ? limits.conversationsPerSecond : limits.textPerSecond;
  const check = ctx.limiter.take(accountId, bucket, limit);
  reply.headers(usageHeaders(accountId, check));
  if (!check.allowed) throw graphError(ctx.state.data.variants.rateLimitError);
}

/** Graph's `fields` syntax: `a,b{c,d},e.limit(5){f}` → [{name, limit?, fields?}]. */
export interface FieldSpec {
  name: string;
  limit?: number;
  fields?: FieldSpec[];
}
export function parseFields(raw: unknown): FieldSpec[] | null {
  if (typeof raw !== 'string' || raw.trim() === '') return null;
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of raw) {
    if (char === '{') depth += 1;
    if (char === '}') depth -= 1;
    if (char === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += char;
  }
  parts.push(current);
  return parts
    .map((part) => part.trim())
    .filter((part) => part.length > 0)
    .map((part) => {
      const match = /^([a-z_]+)(?:\.limit\((\d+)\))?(?:\{(.*)\})?$/i.exec(part);
      if (!match?.[1]) throw invalidParameter(`Syntax error in fields: "${part}"`);
      const spec: FieldSpec = { name: match[1] };
      if (match[2]) spec.limit = Number(match[2]);
      const nested = match[3] === undefined ? null : parseFields(match[3]);
      if (nested) spec.fields = nested;
      return spec;
    });
}

export function nonexistingField(field: string, nodeType: string): never {
  throw invalidParameter(`Tried accessing nonexisting field (${field}) on node type (${nodeType})`);
}

/** Graph's time format: `2022-07-12T19:11:07+0000`. */
export const graphTime = (epochMs: number): string => new Date(epochMs).toISOString().replace(/\.\d{3}Z$/, '+0000');

export function baseUrlOf(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}`;
}
