import type { LoginPath } from '@threadline/contract';
import type { Config } from '../../config.ts';
import { classifyGraphError, isGraphApiError } from '../../instagram/graph-client.ts';
import type { AccountGraphs } from '../accounts/account-graphs.ts';
import type { AccountTokens } from '../accounts/account-tokens.ts';
import type { OperationsRepository } from './operations.repository.ts';

/**
 * `threadline doctor`: what an operator should look at, each finding with what to do about it. The checks take
 * narrow dependencies so tests run them against the simulator and a real database; the command assembles them.
 */
export type Finding = { area: string; status: 'ok' | 'warn' | 'fail'; message: string; fix?: string };

const DAY = 86_400;
const ok = (area: string, message: string): Finding => ({ area, status: 'ok', message });
const warn = (area: string, message: string, fix: string): Finding => ({ area, status: 'warn', message, fix });
const fail = (area: string, message: string, fix: string): Finding => ({ area, status: 'fail', message, fix });

export function configurationFindings(config: Config): Finding[] {
  const area = 'configuration';
  const found: Finding[] = config.warnings.map((w) => warn(area, w, 'rename or remove it (see .env.example for every setting)'));
  const isLocal = ['localhost', '127.0.0.1', '[::1]'].includes(config.publicBaseUrl.hostname);
  if (config.publicBaseUrl.protocol !== 'https:' && !isLocal) {
    found.push(fail(area, `PUBLIC_BASE_URL is ${config.publicBaseUrl.origin}: Meta requires https for webhooks and OAuth redirects`, 'serve Threadline behind TLS (deploy/nginx) and set PUBLIC_BASE_URL=https://…'));
  }
  if (config.publicBaseUrl.protocol === 'https:' && config.trustProxy === false) {
    found.push(warn(area, 'PUBLIC_BASE_URL is https but TRUST_PROXY is off: behind a proxy every client has the proxy\'s address (one login throttle for all)', 'set TRUST_PROXY=1 (one nginx in front) or the proxy\'s address'));
  }
  if (config.instagram.appSecrets.length === 0) found.push(fail(area, 'no Meta app secret: every webhook is refused', 'set INSTAGRAM_OAUTH_CLIENT_SECRET (or INSTAGRAM_APP_SECRET)'));
  if (!config.instagram.verifyToken) found.push(warn(area, 'INSTAGRAM_VERIFY_TOKEN is not set: Meta\'s webhook handshake fails', 'set INSTAGRAM_VERIFY_TOKEN to the token typed into Meta\'s dashboard'));
  if (!config.instagram.oauth) found.push(warn(area, '"Continue with Instagram" is off (no INSTAGRAM_OAUTH_CLIENT_ID/SECRET)', 'set both to link accounts (docs/oauth.md)'));
  if (config.database.kind === 'pglite' && !config.sessionSecret) {
    found.push(warn(area, 'SESSION_SECRET is generated into DATA_DIR/session-secret', 'back that file up with the data, or set SESSION_SECRET from your secret store'));
  }
  if (found.length === 0) found.push(ok(area, 'no problems'));
  return found;
}

export function databaseFindings(opts: { engine: string; pendingMigrations: string[]; note?: string }): Finding[] {
  const area = 'database';
  const found = [ok(area, `${opts.engine} reachable${opts.note ? ` (${opts.note})` : ''}`)];
  if (opts.pendingMigrations.length > 0) {
    found.push(fail(area, `${opts.pendingMigrations.length} migrations not applied (${opts.pendingMigrations.join(', ')})`, 'run `threadline migrate` (or start Threadline: it migrates on start)'));
  } else found.push(ok(area, 'migrations up to date'));
  return found;
}

export type HostProbe = { url: string; dns: string[] | Error; connect: 'ok' | Error; date: Date | null };

export function reachabilityFindings(probes: HostProbe[]): Finding[] {
  return probes.map((p) => {
    const area = 'meta';
    if (p.dns instanceof Error) return fail(area, `${p.url}: DNS lookup failed (${p.dns.message})`, 'check the machine\'s resolver and outbound network (Meta\'s hosts must be reachable on 443)');
    if (p.connect instanceof Error) return fail(area, `${p.url}: ${p.connect.message}`, 'allow outbound HTTPS to Meta; a TLS error can mean an intercepting proxy or a stale CA bundle');
    return ok(area, `${p.url} reachable (${p.dns.length} addresses)`);
  });
}

/** Our clock against the database's and Meta's: signed callbacks, token expiries and CRM signatures depend on it. */
export function clockFindings(opts: { now: Date; database: Date | null; meta: Date | null }): Finding[] {
  const area = 'clock';
  const found: Finding[] = [];
  for (const [name, other] of [['the database', opts.database], ["Meta's servers", opts.meta]] as const) {
    if (!other) continue;
    const skew = Math.round((opts.now.getTime() - other.getTime()) / 1000);
    const text = `${Math.abs(skew)} s ${skew >= 0 ? 'ahead of' : 'behind'} ${name}`;
    if (Math.abs(skew) > 300) found.push(fail(area, `this machine's clock is ${text}: CRMs reject our signatures (5 minutes), tokens look expired`, 'enable time sync (systemd-timesyncd or chrony)'));
    else if (Math.abs(skew) > 30) found.push(warn(area, `this machine's clock is ${text}`, 'enable time sync (systemd-timesyncd or chrony)'));
    else found.push(ok(area, `within ${Math.max(1, Math.abs(skew))} s of ${name}`));
  }
  return found;
}

export async function accountFindings(deps: {
  repo: Pick<OperationsRepository, 'accounts'>;
  tokens: Pick<AccountTokens, 'tokenFor'>;
  /** Each account's own client: its path decides host, token and node (the account or its Page). */
  graphs: Pick<AccountGraphs, 'forCheck'>;
  /** The app id Meta lists as subscribed, per path (the Instagram app id, the Meta app id); any app when unknown. */
  appIds: Partial<Record<LoginPath, string | undefined>>;
}): Promise<Finding[]> {
  const found: Finding[] = [];
  const reconnect = 'an owner opens Settings and presses Reconnect (or links the account again with "Continue with Instagram" or "Continue with Facebook", as it was linked)';
  for (const a of await deps.repo.accounts()) {
    const area = `account @${a.username}`;
    if (a.status === 'disconnected') {
      found.push(ok(area, 'disconnected (not checked)'));
      continue;
    }
    if (a.status === 'reauth_required') {
      found.push(fail(area, 'Meta refused its token: it needs to be reconnected', reconnect));
      continue;
    }
    let token: string | null;
    try {
      token = await deps.tokens.tokenFor(a.id);
    } catch {
      found.push(fail(area, 'its stored token cannot be decrypted', 'SESSION_SECRET or ENCRYPTION_KEYS changed: restore the previous value (or list the old key in ENCRYPTION_KEYS)'));
      continue;
    }
    if (!token) {
      found.push(fail(area, 'no token stored', reconnect));
      continue;
    }
    if (a.tokenExpiresInSeconds !== null && a.tokenExpiresInSeconds <= 0) {
      found.push(fail(area, 'its token has expired', reconnect));
      continue;
    }
    if (a.tokenExpiresInSeconds !== null && a.tokenExpiresInSeconds < 7 * DAY) {
      found.push(warn(area, `its token expires in ${(a.tokenExpiresInSeconds / DAY).toFixed(1)} days and has not been refreshed`, 'make sure a worker runs (the hourly refresh job); or reconnect the account'));
    }
    try {
      const bound = await deps.graphs.forCheck(a.id);
      if (bound === null) {
        found.push(fail(area, 'no token stored', reconnect));
        continue;
      }
      if ('neither' in bound) {
        found.push(fail(area, `neither Meta host takes its token (${bound.neither})`, `${reconnect}; or set INSTAGRAM_LEGACY_API and INSTAGRAM_PAGE_ACCESS_TOKEN to a token of this account`));
        continue;
      }
      const { client } = bound;
      const host = client.path === 'facebook_login' ? 'graph.facebook.com' : 'graph.instagram.com';
      const me = await client.readProfile();
      if (me.igUserId !== a.igUserId) {
        const whose = me.page ? `the Facebook Page "${me.page.name}" is not linked to it` : `its token belongs to another account (${me.username ?? '?'})`;
        found.push(fail(area, whose, reconnect));
      }
      const appId = deps.appIds[client.path];
      const apps = await client.subscribedApps();
      const ours = apps.find((app) => appId === undefined || app.id === appId);
      if (!ours) found.push(fail(area, 'not subscribed to webhooks: no messages arrive', `${reconnect} (linking subscribes it)`));
      else if (!ours.subscribedFields.includes('messages')) found.push(fail(area, `subscribed without "messages" (${ours.subscribedFields.join(', ') || 'no fields'})`, `${reconnect} (linking subscribes it)`));
      else {
        const days = a.tokenExpiresInSeconds === null ? 'no expiry' : `expires in ${Math.floor(a.tokenExpiresInSeconds / DAY)} days`;
        const via = me.page ? `, through the Facebook Page "${me.page.name}"` : '';
        found.push(ok(area, `token valid on ${host} (${days})${via}, subscribed to ${ours.subscribedFields.join(', ')}`));
      }
    } catch (error) {
      if (classifyGraphError(error) === 'reauth') found.push(fail(area, 'Meta refused its token', reconnect));
      else {
        const detail = isGraphApiError(error) ? `${error.failure}${error.code === null ? '' : ` ${error.code}`}` : 'error';
        found.push(warn(area, `could not ask Meta about it (${detail})`, 'see the "meta" lines above; try again later'));
      }
    }
  }
  return found;
}

export async function crmFindings(repo: Pick<OperationsRepository, 'crmEndpoints' | 'crmRecentOutcomes'>): Promise<Finding[]> {
  const recent = new Map((await repo.crmRecentOutcomes()).map((r) => [r.accountId, r]));
  return (await repo.crmEndpoints()).map((e) => {
    const area = `crm @${e.account}`;
    const day = recent.get(e.accountId);
    const last = day ? `${day.succeeded} delivered, ${day.failed} failed attempts in 24 h` : 'no attempts in 24 h';
    if (e.disabled) {
      return fail(area, `endpoint disabled (${e.disabledReason ?? 'no reason recorded'}); ${e.pending} deliveries wait`, 'fix the receiver, then save the CRM settings again (Settings › CRM) to re-enable it; waiting deliveries are then sent');
    }
    if (e.failingSeconds !== null) {
      return warn(area, `every delivery has failed for ${Math.round(e.failingSeconds / 60)} min; ${e.pending} waiting; ${last}`, 'look at the delivery log (Settings › CRM) for the receiver\'s answer');
    }
    if (e.oldestPendingSeconds > 600) return warn(area, `${e.pending} deliveries waiting, the oldest for ${Math.round(e.oldestPendingSeconds / 60)} min; ${last}`, 'make sure a worker runs; see the delivery log');
    return ok(area, `healthy: ${e.pending} waiting; ${last}`);
  });
}
