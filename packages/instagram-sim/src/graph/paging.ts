import { invalidParameter } from '../platform/errors.ts';

/** Graph cursor paging (`after`, `before`, `limit`, `next`, `previous`) over a list already in order (§5). */

export interface Page<T> {
  data: T[];
  paging?: { cursors: { before: string; after: string }; next?: string; previous?: string };
}

const encode = (key: string): string => Buffer.from(key, 'utf8').toString('base64url');
const decode = (cursor: string): string => Buffer.from(cursor, 'base64url').toString('utf8');

export function pageOf<T>(
  items: T[],
  keyOf: (item: T) => string,
  params: Record<string, unknown>,
  url: string,
  defaultLimit = 25,
): { items: T[]; paging: Page<unknown>['paging'] } {
  const rawLimit = params['limit'];
  const limit = rawLimit === undefined ? defaultLimit : Number(rawLimit);
  if (!Number.isInteger(limit) || limit < 1) throw invalidParameter('Param limit must be a positive integer');
  const capped = Math.min(limit, 100);
  let start = 0;
  let end = items.length;
  const index = (cursor: unknown): number => {
    const key = typeof cursor === 'string' ? decode(cursor) : '';
    const found = items.findIndex((item) => keyOf(item) === key);
    if (found < 0) throw invalidParameter('Invalid cursor');
    return found;
  };
  if (params['after'] !== undefined) start = index(params['after']) + 1;
  if (params['before'] !== undefined) {
    end = index(params['before']);
    start = Math.max(0, end - capped);
  }
  const slice = items.slice(start, Math.min(end, start + capped));
  const first = slice[0];
  const last = slice.at(-1);
  if (first === undefined || last === undefined) return { items: slice, paging: undefined };
  const link = (name: 'after' | 'before', cursor: string): string => {
    const next = new URL(url);
    next.searchParams.delete('after');
    next.searchParams.delete('before');
    next.searchParams.set('limit', String(capped));
    next.searchParams.set(name, cursor);
    return next.toString();
  };
  const cursors = { before: encode(keyOf(first)), after: encode(keyOf(last)) };
  const paging: NonNullable<Page<unknown>['paging']> = { cursors };
  if (start + slice.length < items.length) paging.next = link('after', cursors.after);
  if (start > 0) paging.previous = link('before', cursors.before);
  return { items: slice, paging };
}
