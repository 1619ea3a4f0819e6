import type { FastifyInstance } from 'fastify';

/**
 * Meta's OAuth endpoints take form fields: `-F` multipart in the docs, url-encoded in most clients (§1.2).
 * Both become a flat record of strings; the Web `Response.formData()` parser handles multipart.
 */
export function registerFormParsers(app: FastifyInstance): void {
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(typeof body === 'string' ? body : body.toString('utf8'))));
  });
  app.addContentTypeParser('multipart/form-data', { parseAs: 'buffer' }, (request, body, done) => {
    const contentType = request.headers['content-type'] ?? '';
    const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : new Uint8Array(body);
    new Response(bytes, { headers: { 'content-type': contentType } })
      .formData()
      .then((form) => {
        const fields: Record<string, string> = {};
        for (const [key, value] of form.entries()) if (typeof value === 'string') fields[key] = value;
        done(null, fields);
      })
      .catch((error: unknown) => done(error instanceof Error ? error : new Error('invalid multipart body'), undefined));
  });
}

/** Reads a request's query and body as one record of strings (body wins), the way Graph merges parameters. */
export function mergedParams(query: unknown, body: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const source of [query, body]) {
    if (source && typeof source === 'object' && !Array.isArray(source)) Object.assign(out, source);
  }
  return out;
}
