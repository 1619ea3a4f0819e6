import { z } from 'zod';

/** Zod pieces shared by the Graph client's response parsers. */

/**
 * Meta's ids are numeric strings, but some answers send them as JSON numbers. Bodies are parsed big-int-safe
 * (ids above 2^53 arrive as exact digit strings); smaller numbers are turned into strings here.
 */
export const graphIdSchema = z.union([z.string().min(1), z.number().int().nonnegative()]).transform(String);

/** `permissions` as Meta sends it: a comma-separated string (or, defensively, a list). */
export const permissionsSchema = z
  .union([z.string(), z.array(z.string())])
  .transform((value) => (Array.isArray(value) ? value : value.split(',')).map((p) => p.trim()).filter((p) => p.length > 0));

/** Graph's `{data:[…], paging:{cursors:{after}, next}}` list envelope. */
export const pagingSchema = z
  .object({
    cursors: z.object({ before: z.string().optional(), after: z.string().optional() }).optional(),
    next: z.string().optional(),
  })
  .optional();

/** The cursor of the next page, or null on the last page (Graph leaves out `next` there). */
export function nextCursor(paging: z.infer<typeof pagingSchema>): string | null {
  if (!paging?.next) return null;
  return paging.cursors?.after ?? null;
}

/** A body that is either the object itself or the object wrapped in `{data:[…]}` (§1.2, §2). */
export function flatOrWrapped<T>(item: z.ZodType<T>): z.ZodType<T> {
  const wrapped = z.object({ data: z.array(item).min(1) }).transform((body, ctx) => {
    const first = body.data[0];
    if (first !== undefined) return first;
    ctx.addIssue({ code: 'custom', message: 'data is empty' });
    return z.NEVER;
  });
  return z.union([wrapped, item]);
}
