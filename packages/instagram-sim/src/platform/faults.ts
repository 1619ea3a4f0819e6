import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { INSTAGRAM_GRAPH_ERRORS } from '@threadline/contract';
import type { InstagramGraphErrorName } from '@threadline/contract';
import { newOpaqueId } from '../ids.ts';
import type { SimFault } from '../state/schema.ts';
import type { SimState } from '../state/store.ts';
import { GraphError, OAuthEndpointError } from './errors.ts';
import { shapeGraphError } from './error-shape.ts';
import { mergedParams } from './forms.ts';
import { tokenFromRequest } from '../oauth/tokens.ts';

const errorNames = Object.keys(INSTAGRAM_GRAPH_ERRORS);
function isErrorName(value: string): value is InstagramGraphErrorName {
  return errorNames.includes(value);
}

/** Body of `POST /_sim/faults`. `error` names an entry of the contract's Graph error table. */
export const faultInputSchema = z.object({
  type: z.enum(['error', 'status', 'delay']),
  error: z.string().refine(isErrorName, 'unknown error name').optional(),
  code: z.number().int().optional(),
  subcode: z.number().int().optional(),
  message: z.string().optional(),
  httpStatus: z.number().int().min(400).max(599).optional(),
  transient: z.boolean().optional(),
  delayMs: z.number().int().min(0).max(120_000).optional(),
  match: z
    .object({ method: z.string().optional(), pathIncludes: z.string().optional(), accountId: z.string().optional() })
    .default({}),
  /** How many matching requests it hits (default 1); 0 = until cleared. */
  times: z.number().int().min(0).default(1),
});
export type FaultInput = z.input<typeof faultInputSchema>;

export function createFault(state: SimState, raw: unknown): SimFault {
  const input = faultInputSchema.parse(raw);
  const named = input.error !== undefined && isErrorName(input.error) ? INSTAGRAM_GRAPH_ERRORS[input.error] : undefined;
  const fault: SimFault = {
    id: newOpaqueId('fault'),
    type: input.type,
    match: input.match,
    remaining: input.times === 0 ? null : input.times,
  };
  if (input.type === 'error') {
    fault.code = input.code ?? named?.code ?? 2;
    const subcode = input.subcode ?? named?.subcode;
    if (subcode !== undefined) fault.subcode = subcode;
    fault.message = input.message ?? named?.message ?? 'An unexpected error has occurred. Please retry your request later.';
    fault.httpStatus = input.httpStatus ?? named?.httpStatus ?? 400;
    fault.transient = input.transient ?? named?.transient ?? false;
  }
  if (input.type === 'status') fault.httpStatus = input.httpStatus ?? 503;
  if (input.type === 'delay') fault.delayMs = input.delayMs ?? 1000;
  state.data.faults.push(fault);
  return fault;
}

function matches(fault: SimFault, request: FastifyRequest, accountId: string | null): boolean {
  const { method, pathIncludes, accountId: wanted } = fault.match;
  if (method && method.toUpperCase() !== request.method) return false;
  if (pathIncludes && !request.url.split('?')[0]?.includes(pathIncludes)) return false;
  if (wanted && wanted !== accountId) return false;
  return true;
}

function consume(state: SimState, fault: SimFault): void {
  if (fault.remaining === null) return;
  fault.remaining -= 1;
  if (fault.remaining <= 0) state.data.faults = state.data.faults.filter((f) => f.id !== fault.id);
}

/** Applies injected faults to every platform request (not to `/_sim`): slow answers, errors, bare 5xx. */
export function registerFaultHook(app: FastifyInstance, state: SimState): void {
  app.addHook('preHandler', async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.url.startsWith('/_sim') || state.data.faults.length === 0) return;
    const token = tokenFromRequest(request.headers, mergedParams(request.query, request.body));
    const accountId = token ? (state.token(token)?.accountId ?? null) : null;
    const hits = state.data.faults.filter((f) => matches(f, request, accountId));
    for (const fault of hits.filter((f) => f.type === 'delay')) {
      consume(state, fault);
      await sleep(fault.delayMs ?? 0);
    }
    const failure = hits.find((f) => f.type !== 'delay');
    if (!failure) return;
    consume(state, failure);
    if (failure.type === 'status') {
      return reply.code(failure.httpStatus ?? 503).type('text/plain').send('Service Unavailable');
    }
    const message = failure.message ?? 'An unexpected error has occurred.';
    if (request.url.startsWith('/oauth/access_token')) {
      const error = new OAuthEndpointError(message, failure.httpStatus ?? 400);
      return reply.code(error.status).send(error.body);
    }
    const error = new GraphError(
      {
        code: failure.code ?? 2,
        ...(failure.subcode === undefined ? {} : { subcode: failure.subcode }),
        type: 'OAuthException',
        message,
        httpStatus: failure.httpStatus ?? 400,
        transient: failure.transient ?? false,
      },
      {},
    );
    const shaped = shapeGraphError(error.status, error.body, state.data.variants);
    return reply.code(shaped.status).send(shaped.body);
  });
}
