// JSON.parse turns an integer literal above 2^53 into the nearest double: 17841405793187218 becomes
// 17841405793187216, silently pointing at someone else. Meta's ids are 15–17 digits and have been sent as numbers
// (platform reference §1.2), so raw webhook and token bodies are parsed with this instead.

const LONG_INTEGER_LITERAL = /^-?\d{16,}$/;

interface ReviverContext {
  source?: string;
}

/**
 * `JSON.parse`, except that every integer literal longer than 15 digits comes out as a string of its exact digits.
 * Uses the reviver's access to the source text (Node ≥ 21), so string contents and fractions are never touched.
 * Throws `SyntaxError` on invalid JSON, like `JSON.parse`.
 */
export function parseJsonPreservingBigInts(text: string): unknown {
  return JSON.parse(text, function revive(_key: string, value: unknown, context?: ReviverContext): unknown {
    if (typeof value !== 'number') return value;
    const source = context?.source;
    return source !== undefined && LONG_INTEGER_LITERAL.test(source) ? source : value;
  });
}
