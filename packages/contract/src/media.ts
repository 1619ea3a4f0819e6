import { z } from 'zod';

const MB = 1024 * 1024;

/** What Instagram accepts as an attachment, by content type: its kind and Meta's size limit. */
export const UPLOAD_TYPES: Readonly<Record<string, { kind: 'image' | 'video' | 'audio' | 'file'; maxBytes: number }>> = {
  'image/jpeg': { kind: 'image', maxBytes: 8 * MB },
  'image/png': { kind: 'image', maxBytes: 8 * MB },
  'image/gif': { kind: 'image', maxBytes: 8 * MB },
  'video/mp4': { kind: 'video', maxBytes: 25 * MB },
  'video/quicktime': { kind: 'video', maxBytes: 25 * MB },
  'video/webm': { kind: 'video', maxBytes: 25 * MB },
  'video/ogg': { kind: 'video', maxBytes: 25 * MB },
  'audio/aac': { kind: 'audio', maxBytes: 25 * MB },
  'audio/mp4': { kind: 'audio', maxBytes: 25 * MB },
  'audio/x-m4a': { kind: 'audio', maxBytes: 25 * MB },
  'audio/wav': { kind: 'audio', maxBytes: 25 * MB },
  'application/pdf': { kind: 'file', maxBytes: 25 * MB },
};

/** `POST /api/v1/ui/uploads`: a file stored for an outgoing attachment. */
export const uploadSchema = z.object({
  upload_id: z.string(),
  type: z.enum(['image', 'video', 'audio', 'file']),
  content_type: z.string(),
  size_bytes: z.number(),
  url: z.string(),
});
export type Upload = z.infer<typeof uploadSchema>;

/** `account_id`: the account of the conversation the file is for (the "All accounts" inbox), else the session's. */
export const uploadQuerySchema = z.object({ account_id: z.uuid().optional() });
