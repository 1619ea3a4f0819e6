import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { flatOrWrapped, graphIdSchema, nextCursor, permissionsSchema } from './graph-schemas.ts';
import { parseJsonPreservingBigInts } from './webhook-payload.ts';

describe('graph response pieces', () => {
  it('turns ids sent as JSON numbers into strings, exact even above 2^53', () => {
    const body = parseJsonPreservingBigInts('{"id":28978671838402975,"user_id":17841477965412210,"small":42}');
    const schema = z.object({ id: graphIdSchema, user_id: graphIdSchema, small: graphIdSchema });
    expect(schema.parse(body)).toEqual({ id: '28978671838402975', user_id: '17841477965412210', small: '42' });
  });

  it('rejects an empty or negative id', () => {
    expect(graphIdSchema.safeParse('').success).toBe(false);
    expect(graphIdSchema.safeParse(-1).success).toBe(false);
  });

  it('reads an object flat or wrapped in data[], and refuses an empty data[]', () => {
    const schema = flatOrWrapped(z.object({ id: z.string() }));
    expect(schema.parse({ id: '1' })).toEqual({ id: '1' });
    expect(schema.parse({ data: [{ id: '2' }, { id: '3' }] })).toEqual({ id: '2' });
    expect(schema.safeParse({ data: [] }).success).toBe(false);
  });

  it('splits comma-separated permissions and accepts a list', () => {
    expect(permissionsSchema.parse('a, b,,c')).toEqual(['a', 'b', 'c']);
    expect(permissionsSchema.parse(['a'])).toEqual(['a']);
  });

  it('gives a next cursor only when Graph links a next page', () => {
    expect(nextCursor({ cursors: { after: 'QVFI' }, next: 'https://graph/next' })).toBe('QVFI');
    expect(nextCursor({ cursors: { after: 'QVFI' } })).toBeNull();
    expect(nextCursor(undefined)).toBeNull();
  });
});
