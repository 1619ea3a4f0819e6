import { z } from 'zod';
import type { GraphCaller } from './graph-caller.ts';
import { graphIdSchema } from './graph-schemas.ts';
import { isIdempotentSend } from './graph-send-bodies.ts';
import type { SendBody } from './graph-send-bodies.ts';
import { parseAnswer } from './graph-transport.ts';
import type { GraphUsage } from './graph-usage.ts';

/** The Send API (§4): `POST /{IG_ID|me}/messages` with a JSON body. */

export interface SendResult {
  recipientId: string;
  /** The mid of the sent message; null for sender actions and reactions, which Meta answers without one. */
  messageId: string | null;
  usage: GraphUsage;
}

const sendAnswerSchema = z.object({
  recipient_id: graphIdSchema,
  message_id: z.string().min(1).optional(),
});

export function createMessagingCalls(graph: GraphCaller) {
  return {
    /**
     * Sends one body (build it with the graph-send-bodies builders). A message is not idempotent: when its answer
     * is lost the error classifies as `unknown_outcome` and must not be re-sent blindly.
     */
    async sendMessage(token: string, igId: string, body: SendBody): Promise<SendResult> {
      const path = `/${igId === 'me' ? 'me' : encodeURIComponent(igId)}/messages`;
      const answer = await graph.post(token, path, {}, body, isIdempotentSend(body));
      const sent = parseAnswer(sendAnswerSchema, answer);
      return { recipientId: sent.recipient_id, messageId: sent.message_id ?? null, usage: answer.usage };
    },
  };
}
