import { z } from 'zod';
import { API_KEY_SCOPE_DESCRIPTIONS } from './api-keys.ts';
import { errorResponseSchema } from './errors.ts';
import type { RouteDef } from './routes/define.ts';

type JsonSchema = Record<string, unknown>;
export type OpenApiDocument = {
  openapi: '3.1.0';
  info: { title: string; version: string; description: string };
  servers: { url: string }[];
  tags: { name: string }[];
  paths: Record<string, Record<string, unknown>>;
  components: { schemas: Record<string, JsonSchema>; securitySchemes: Record<string, unknown> };
};

/** A request's shape as a client sends it (before defaults and transforms), an answer's as it arrives. */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' });
  return rest;
}

function parameters(schema: z.ZodType | undefined, where: 'path' | 'query'): unknown[] {
  if (!schema) return [];
  const json = jsonSchema(schema, 'input');
  const properties = typeof json.properties === 'object' && json.properties !== null ? Object.entries(json.properties) : [];
  const required = new Set(Array.isArray(json.required) ? json.required : []);
  return properties.map(([name, property]) => ({ name, in: where, required: where === 'path' || required.has(name), schema: property }));
}

function security(route: RouteDef): Record<string, string[]>[] {
  if (route.auth === 'public') return [];
  if (route.auth === 'api_key') return [{ apiKey: [] }];
  return [{ sessionBearer: [] }, { sessionCookie: [] }];
}

/** The role vocabulary of the table (and of the security suite), in words. */
function roleInWords(role: string): string {
  const [kind, level] = role.split(':');
  switch (kind) {
    case 'user':
      return 'anyone signed in';
    case 'admin':
      return 'an instance administrator only';
    case 'account':
      return `the role ${level} or above on the account in the path (a non-member gets 404)`;
    case 'session-account':
      return `the role ${level} or above on the session’s (or the key’s) account`;
    case 'conversation':
      return `the role ${level} or above on the conversation’s account (another account’s conversation is 404)`;
    case 'media':
      return `the role ${level} or above on the account the media belongs to`;
    default:
      return role;
  }
}

function whoMayCall(route: RouteDef): string {
  if (route.auth === 'api_key') return `Needs an API key with the scope \`${route.scope ?? ''}\` (${roleInWords(route.role)}).`;
  if (route.auth === 'session') return `Needs a session: ${roleInWords(route.role)}.`;
  return route.role === 'public' ? 'Public.' : `Public; protected by ${route.role.slice('public:'.length)}.`;
}

function operation(route: RouteDef): Record<string, unknown> {
  const responses: Record<string, unknown> = {};
  for (const [status, schema] of Object.entries(route.response ?? {})) {
    responses[status] = { description: status.startsWith('2') ? 'Success' : 'See the body', content: { 'application/json': { schema: jsonSchema(schema, 'output') } } };
  }
  if (route.produces) {
    const { status, contentType, description } = route.produces;
    responses[String(status)] = status === 302 ? { description } : { description, content: { [contentType]: { schema: {} } } };
  }
  responses.default = { description: 'An error: `{ error: { code, message }, request_id }`', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };

  const headerParams = (route.headers ?? []).map((h) => ({ name: h.name, in: 'header', required: h.required ?? false, description: h.description, schema: { type: 'string' } }));
  const body = route.consumes
    ? { required: true, content: Object.fromEntries(route.consumes.map((type) => [type, { schema: route.body ? jsonSchema(route.body, 'input') : {} }])) }
    : route.body
      ? { required: true, content: { 'application/json': { schema: jsonSchema(route.body, 'input') } } }
      : undefined;
  return {
    operationId: `${route.method.toLowerCase()}${route.path.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase())}`,
    summary: route.summary,
    description: [whoMayCall(route), route.description].filter(Boolean).join('\n\n'),
    tags: [route.tag],
    security: security(route),
    parameters: [...parameters(route.params, 'path'), ...parameters(route.query, 'query'), ...headerParams],
    ...(body ? { requestBody: body } : {}),
    responses,
  };
}

/** `/api/v1/accounts/:id` → `/api/v1/accounts/{id}` */
export const openApiPath = (path: string) => path.replace(/:([A-Za-z_]\w*)/g, '{$1}');

/** The OpenAPI 3.1 document of a route table (the server serves the one of `allRoutes` at /api/openapi.json). */
export function openApiDocument(table: readonly RouteDef[], info: { version: string; serverUrl: string }): OpenApiDocument {
  const paths: OpenApiDocument['paths'] = {};
  const tags: string[] = [];
  for (const route of table) {
    const path = openApiPath(route.path);
    paths[path] = { ...paths[path], [route.method.toLowerCase()]: operation(route) };
    if (!tags.includes(route.tag)) tags.push(route.tag);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Threadline API',
      version: info.version,
      description:
        'The inbox for the web app (`/api/v1/ui/…`, a session) and for CRMs (`/api/v1/…`, an API key sent as `X-API-Key`). ' +
        'Every error answers `{ "error": { "code", "message" }, "request_id" }`; codes are stable, messages are for people.',
    },
    servers: [{ url: info.serverUrl }],
    tags: tags.map((name) => ({ name })),
    paths,
    components: {
      schemas: { Error: jsonSchema(errorResponseSchema, 'output') },
      securitySchemes: {
        apiKey: {
          type: 'apiKey',
          in: 'header',
          name: 'X-API-Key',
          description:
            'An API key of the account (Settings → API keys), with the scope the route names: ' +
            Object.entries(API_KEY_SCOPE_DESCRIPTIONS).map(([scope, what]) => `\`${scope}\` to ${what}`).join('; ') + '.',
        },
        sessionBearer: { type: 'http', scheme: 'bearer', description: 'The token `POST /api/v1/ui/session` answers' },
        sessionCookie: {
          type: 'apiKey',
          in: 'cookie',
          name: 'threadline_session',
          description: 'The web app’s session cookie (`__Host-threadline_session` on https; changes must come from the same origin)',
        },
      },
    },
  };
}
