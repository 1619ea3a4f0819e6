import { z } from 'zod';

/** The answer of a route that did what was asked and has nothing else to say. */
export const okSchema = z.object({ ok: z.literal(true) });
export type Ok = z.infer<typeof okSchema>;

/** `:id` in a path: a conversation, an account or a piece of media, always a UUID. */
export const idParamsSchema = z.object({ id: z.uuid() });
