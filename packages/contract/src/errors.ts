import { z } from 'zod';

/** The one public error shape of every Threadline HTTP answer that is not a success. */
export const errorResponseSchema = z.object({
  error: z.object({ code: z.string(), message: z.string() }),
  request_id: z.string(),
});
export type ErrorResponse = z.infer<typeof errorResponseSchema>;
