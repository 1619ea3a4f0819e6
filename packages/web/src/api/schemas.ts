import { z } from 'zod';

/** Answers the web app parses whose shapes are not (yet) in the contract package. Unknown fields are dropped. */
export const okSchema = z.object({ ok: z.boolean() });

export const uploadSchema = z.object({ upload_id: z.string(), type: z.enum(['image', 'video', 'audio', 'file']), content_type: z.string(), size_bytes: z.number(), url: z.string() });
