import { describe, expect, it } from 'vitest';
import { parseJsonPreservingBigInts } from './webhook-payload-json.ts';

describe('parseJsonPreservingBigInts', () => {
  it('returns the documented numeric user_id 17841405793187218 as its exact digits', () => {
    expect(parseJsonPreservingBigInts('{"user_id":17841405793187218}')).toEqual({ user_id: '17841405793187218' });
  });

  it('keeps an id exact where JSON.parse rounds it to a neighbour', () => {
    const text = '{"user_id":17841405793187219}';
    expect(BigInt(JSON.parse(text).user_id)).not.toBe(17841405793187219n);
    expect(parseJsonPreservingBigInts(text)).toEqual({ user_id: '17841405793187219' });
  });

  it('turns every integer literal longer than 15 digits into a string, even a safe one', () => {
    expect(parseJsonPreservingBigInts('[1000000000000000, -12345678901234567, 999999999999999]')).toEqual([
      '1000000000000000',
      '-12345678901234567',
      999999999999999,
    ]);
  });

  it('leaves ordinary numbers, millisecond timestamps, fractions and exponents as numbers', () => {
    expect(parseJsonPreservingBigInts('{"t":1569262486134,"n":42,"f":12345678901234567.5,"e":1e21,"z":-0}')).toEqual({
      t: 1569262486134,
      n: 42,
      f: Number("12345678901234567.5"),
      e: 1e21,
      z: -0,
    });
  });

  it('never touches digits inside strings', () => {
    const text = '{"text":"call 17841405793187218 now","escaped":"\\"17841405793187218\\""}';
    expect(parseJsonPreservingBigInts(text)).toEqual({
      text: 'call 17841405793187218 now',
      escaped: '"17841405793187218"',
    });
  });

  it('converts big integers nested deep in arrays and objects', () => {
    expect(parseJsonPreservingBigInts('{"entry":[{"id":17841405793187218,"messaging":[{"sender":{"id":1234567890123456789}}]}]}')).toEqual({
      entry: [{ id: '17841405793187218', messaging: [{ sender: { id: '1234567890123456789' } }] }],
    });
  });

  it('parses a bare big integer and other top-level values', () => {
    expect(parseJsonPreservingBigInts('17841405793187218')).toBe('17841405793187218');
    expect(parseJsonPreservingBigInts('null')).toBeNull();
    expect(parseJsonPreservingBigInts('"x"')).toBe('x');
  });

  it('throws a SyntaxError on invalid JSON, like JSON.parse', () => {
    expect(() => parseJsonPreservingBigInts('{"id":')).toThrow(SyntaxError);
    expect(() => parseJsonPreservingBigInts('')).toThrow(SyntaxError);
  });
});
