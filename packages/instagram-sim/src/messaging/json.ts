/** Helpers for Graph parameters, which arrive as JSON or as JSON-encoded strings. */

export type JsonObject = Record<string, unknown>;
export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
/** Graph takes object parameters as JSON or as JSON-encoded strings (form or query). */
export function jsonParam(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}
export const nonEmpty = (value: unknown): value is string => typeof value === 'string' && value.length > 0;
export const isHttpUrl = (value: unknown): value is string =>
  typeof value === 'string' && URL.canParse(value) && /^https?:$/.test(new URL(value).protocol);

