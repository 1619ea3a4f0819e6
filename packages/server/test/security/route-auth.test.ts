import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_KEY_SCOPES, type ApiKeyScope } from '@threadline/contract';
import { bearer, createTestApp, login } from '../app.ts';
import { createUser } from '../factories.ts';
import { allRoutes } from '../routes.ts';
import { createSimWorld, type SimWorld } from '../sim-world.ts';
import { ROUTE_RULES, type RouteRule } from './route-rules.ts';

const HOW_TO_DECLARE =
  'Declare who may call it in packages/server/test/security/route-rules.ts, e.g.\n' +
  "  '<METHOD /path>': { auth: 'session', role: 'account:admin' },\n" +
  "with auth as the route declares it (config: { auth: 'public' | 'session' | 'api_key' | 'session_or_api_key' }; /api routes " +
  "default to 'session', others to 'public') and role one of public[:why], user, admin, account:<role>, session-account:<role>, " +
  'conversation:<role>, media:viewer (see the comment at the top of that file).';

/** The routes of `modes` that route-rules.ts does not know, said with how to declare them; null when there is none. */
function missingRules(modes: ReadonlyMap<string, unknown>): string | null {
  const missing = [...modes.keys()].filter((route) => !route.startsWith('HEAD ') && !(route in ROUTE_RULES));
  if (missing.length === 0) return null;
  return `${missing.length} route(s) without a declared rule:\n${missing.map((r) => `  ${r}`).join('\n')}\n${HOW_TO_DECLARE}`;
}

type Probe = { method: string; url: string; headers: Record<string, string>; payload?: unknown };

describe('the route table: every route has a declared auth mode and role, and holds to it', () => {
  let w: SimWorld;
  let adminToken = '';
  let conversationId = '';
  const keys: Record<string, string> = {};

  beforeAll(async () => {
    w = await createSimWorld();
    await createUser(w.t.database.db, { username: 'root', password: 'root-password', isAdmin: true });
    adminToken = (await login(w.t, 'root', 'root-password')).token;
    conversationId = (await w.customerWrites()).conversationId;
    // keys of the world's account, each with one scope, and a key of the stranger's own account with every scope
    const strangerAccount = (await w.t.app.inject({ method: 'GET', url: '/api/v1/accounts/me', headers: bearer(w.tokens.stranger) })).json<{ accounts: { id: string }[] }>().accounts[0]?.id;
    const makeKey = async (token: string, accountId: string, scopes: ApiKeyScope[]) => {
      const res = await w.t.app.inject({ method: 'POST', url: `/api/v1/accounts/${accountId}/api-keys`, headers: bearer(token), payload: { name: 'probe', scopes } });
      return res.json<{ key: string }>().key;
    };
    for (const scope of API_KEY_SCOPES) keys[scope] = await makeKey(w.tokens.owner, w.accountId, [scope]);
    keys['stranger'] = await makeKey(w.tokens.stranger, strangerAccount ?? '', [...API_KEY_SCOPES]);
  });
  afterAll(async () => w.close());

  const declared = () => [...w.t.app.routeAuthModes.keys()].filter((k) => !k.startsWith('HEAD '));

  it('knows a rule for every route, and every rule is for a route that exists', () => {
    const missing = missingRules(w.t.app.routeAuthModes);
    if (missing) throw new Error(missing);
    const stale = Object.keys(ROUTE_RULES).filter((route) => !declared().includes(route));
    expect(stale, 'rules in route-rules.ts for routes that no longer exist: remove them').toEqual([]);
    // the auth plugin saw every route Fastify serves (it is registered before any route)
    const served = allRoutes(w.t.app).filter((r) => r.method !== 'HEAD' && !r.path.includes('*')).map((r) => `${r.method} ${r.path}`);
    expect(served.filter((r) => !declared().includes(r))).toEqual([]);
  });

  it('a route added without a rule is named, with how to declare it', async () => {
    const t = await createTestApp({}, { plugins: [async (app) => void app.get('/api/v1/probe/unruled', async () => ({ ok: true }))] });
    try {
      const report = missingRules(t.app.routeAuthModes) ?? '';
      expect(report).toContain('GET /api/v1/probe/unruled');
      expect(report).toContain('packages/server/test/security/route-rules.ts');
      expect(report).not.toContain('GET /api/v1/ui/me');
    } finally {
      await t.close();
    }
  });

  it('each route has the auth mode its rule says', () => {
    const wrong = declared()
      .map((route) => ({ route, actual: w.t.app.routeAuthModes.get(route), rule: ROUTE_RULES[route]?.auth }))
      .filter((r) => r.rule !== undefined && r.actual !== r.rule);
    expect(wrong, `auth mode differs from route-rules.ts: fix the route's config.auth or the rule`).toEqual([]);
  });

  function probeOf(route: string, rule: RouteRule, headers: Record<string, string>): Probe {
    const [method = 'GET', path = '/'] = route.split(' ');
    const url = path
      .replace(/^\/api\/v1\/accounts\/:id/, `/api/v1/accounts/${w.accountId}`)
      .replace(/conversations\/:id/, `conversations/${conversationId}`)
      .replace(/webhook-events\/:id/, 'webhook-events/1')
      .replace(/:[A-Za-z]+/g, () => randomUUID());
    return { method, url, headers, ...(rule.body !== undefined ? { payload: rule.body } : {}) };
  }

  async function outcome(p: Probe) {
    const res = await w.t.app.inject({ method: p.method as 'GET', url: p.url, headers: p.headers, ...(p.payload !== undefined ? { payload: p.payload as object } : {}) });
    const code = res.statusCode >= 400 ? (res.json<{ error?: { code?: string } }>().error?.code ?? '') : '';
    return `${res.statusCode} ${code}`.trim();
  }

  /** Runs `check` over the rules it applies to and reports every route that did not answer as expected at once. */
  async function sweep(filter: (rule: RouteRule) => boolean, probe: (route: string, rule: RouteRule) => { headers: Record<string, string>; expected: string } | null) {
    const failures: string[] = [];
    let probed = 0;
    for (const [route, rule] of Object.entries(ROUTE_RULES)) {
      if (!filter(rule) || rule.unprobed) continue;
      const p = probe(route, rule);
      if (!p) continue;
      probed += 1;
      const got = await outcome(probeOf(route, rule, p.headers));
      if (!got.startsWith(p.expected)) failures.push(`${route}: expected ${p.expected}, got ${got}`);
    }
    expect(failures).toEqual([]);
    return probed;
  }

  it('refuses every non-public route without credentials (401)', async () => {
    const probed = await sweep((r) => r.auth !== 'public', () => ({ headers: {}, expected: '401' }));
    expect(probed).toBeGreaterThan(50);
  });

  it('classes a route by the route it matched, not by the raw URL (/%61pi/… is an /api route)', async () => {
    const res = await w.t.app.inject({ method: 'GET', url: '/%61pi/v1/ui/me' });
    expect(res.statusCode).toBe(401);
    // classed public, the session would never be read and this would be a 401 instead
    const admin = await w.t.app.inject({ method: 'GET', url: '/%61pi/v1/admin/users', headers: bearer(w.tokens.viewer) });
    expect(admin.statusCode).toBe(403);
  });

  it('refuses every administrators’ route to a user who is not one (403 auth.admin_only)', async () => {
    const probed = await sweep((r) => r.role === 'admin', () => ({ headers: bearer(w.tokens.owner), expected: '403 auth.admin_only' }));
    expect(probed).toBeGreaterThanOrEqual(10);
    expect(await outcome({ method: 'GET', url: '/api/v1/admin/users', headers: bearer(adminToken) })).toBe('200');
  });

  it('answers 404, never 403, to a stranger on another account’s routes and conversations', async () => {
    const probed = await sweep(
      (r) => r.auth !== 'api_key' && (r.role.startsWith('account:') || r.role.startsWith('conversation:')),
      (_route, rule) => ({ headers: bearer(w.tokens.stranger), expected: `404 ${rule.role.startsWith('account:') ? 'accounts.not_found' : 'conversations.not_found'}` }),
    );
    expect(probed).toBeGreaterThanOrEqual(28);
  });

  it('refuses a role too low for the route (403 accounts.forbidden_role)', async () => {
    await sweep(
      (r) => r.auth !== 'api_key' && (r.role === 'account:admin' || r.role === 'conversation:admin' || r.role === 'account:owner'),
      () => ({ headers: bearer(w.tokens.viewer), expected: '403 accounts.forbidden_role' }),
    );
    await sweep((r) => r.role === 'account:owner', () => ({ headers: bearer(w.tokens.admin), expected: '403 accounts.forbidden_role' }));
  });

  it('refuses an API key without the route’s scope, and another account’s key on this account’s conversations', async () => {
    await sweep(
      (r) => r.auth === 'api_key',
      (_route, rule) => {
        // a key of the same account holding a scope, but not this route's
        const other = API_KEY_SCOPES.find((scope) => scope !== rule.scope) ?? 'messages:send';
        return { headers: { 'x-api-key': keys[other] ?? '' }, expected: '403 auth.missing_scope' };
      },
    );
    await sweep(
      (r) => r.auth === 'api_key' && r.role.startsWith('conversation:'),
      () => ({ headers: { 'x-api-key': keys['stranger'] ?? '' }, expected: '404' }),
    );
  });
});
