import { newPasswordSchema, usernameSchema } from '@threadline/contract';
import type { Threadline } from '../app.ts';
import { migrateLegacySecrets, rotateSecrets } from '../modules/accounts/secret-maintenance.ts';
import { isAppError } from '../shared/errors.ts';
import type { Command } from './command.ts';
import { databaseCommands } from './database-commands.ts';
import { doctorCommand } from './doctor-command.ts';
import { readSecretLine } from './read-secret.ts';

export type { Command, CommandContext } from './command.ts';

/**
 * A one-shot command: builds the app, runs `fn`, always closes it; an AppError (a refusal meant for people) is
 * printed and exits 1 instead of a stack trace.
 */
async function withApp(app: Promise<Threadline>, fn: (t: Threadline) => Promise<number>): Promise<number> {
  const t = await app;
  try {
    return await fn(t);
  } catch (error) {
    if (isAppError(error)) {
      console.error(error.message);
      return 1;
    }
    throw error;
  } finally {
    await t.close();
  }
}

/** Runs until SIGTERM/SIGINT, then closes gracefully: in-flight requests finish, workers stop. */
async function runUntilSignal(close: () => Promise<void>, log: { info: (msg: string) => void }): Promise<number> {
  return new Promise((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info(`${signal} received: shutting down`);
      close().then(
        () => resolve(0),
        () => resolve(1),
      );
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}

export const commands: Record<string, Command> = {
  serve: {
    summary: 'Start the API, the background workers and the web app on one port',
    usage: 'Options: --no-workers  serve HTTP only (run `threadline worker` elsewhere)',
    options: { 'no-workers': { type: 'boolean' } },
    async run({ config, values, buildApp }) {
      const cfg = values['no-workers'] ? { ...config, workersEnabled: false } : config;
      const t = await buildApp(cfg);
      await t.startWorkers();
      await t.app.listen({ port: cfg.port, host: cfg.host });
      await t.listenMetrics();
      t.log.info(`Threadline is running on ${cfg.publicBaseUrl.origin} (listening on ${cfg.host}:${cfg.port}, ${t.database.kind})`);
      return runUntilSignal(() => t.close(), t.log);
    },
  },
  worker: {
    summary: 'Run background workers only (several processes need PostgreSQL)',
    usage: 'No options.',
    options: {},
    async run({ config, buildApp }) {
      const t = await buildApp({ ...config, workersEnabled: true });
      await t.startWorkers();
      await t.listenMetrics();
      t.log.info('Threadline worker is running');
      return runUntilSignal(() => t.close(), t.log);
    },
  },
  migrate: {
    summary: 'Apply pending database migrations (also done on start)',
    usage: 'No options. Safe to run while other processes start: migrations take a lock.',
    options: {},
    async run({ config, buildApp }) {
      const t = await buildApp(config);
      console.log(`Database is up to date (${t.database.kind}).`);
      await t.close();
      return 0;
    },
  },
  'user create': {
    summary: 'Create a user (the password is read from a prompt or standard input)',
    usage: 'Options: --username NAME (required), --admin (an instance administrator)\nExample: echo "$PASSWORD" | threadline user create --username alice --admin',
    options: { username: { type: 'string' }, admin: { type: 'boolean' } },
    async run({ config, values, buildApp }) {
      const username = usernameSchema.safeParse(values.username);
      if (!username.success) {
        console.error('--username is required: 3 to 64 letters, digits, dots, dashes or underscores');
        return 2;
      }
      const password = newPasswordSchema.safeParse(await readSecretLine('Password: '));
      if (!password.success) {
        console.error(password.error.issues.map((i) => i.message).join('\n'));
        return 2;
      }
      return withApp(buildApp(config), async (t) => {
      const user = await t.services.auth.createUser(
        { username: username.data, password: password.data, isAdmin: values.admin === true },
        null,
      );
      console.log(`Created user ${user.username}${user.isAdmin ? ' (administrator)' : ''}.`);
      return 0;
      });
    },
  },
  'user reset-password': {
    summary: 'Issue a one-time link (valid a day) with which a user sets a new password',
    usage: 'Options: --username NAME (required)\nExample: threadline user reset-password --username alice\nGive the link to the user only; using it ends every session of the user.',
    options: { username: { type: 'string' } },
    async run({ config, values, buildApp }) {
      const username = usernameSchema.safeParse(values.username);
      if (!username.success) {
        console.error('--username is required: 3 to 64 letters, digits, dots, dashes or underscores');
        return 2;
      }
      return withApp(buildApp({ ...config, workersEnabled: false }), async (t) => {
        const link = await t.services.passwordResets.issueForUsername(username.data);
        console.log(`Password-reset link for ${link.username} (single use, until ${link.expiresAt.toISOString()}):\n${link.url}`);
        return 0;
      });
    },
  },
  'webhooks reprocess': {
    summary: 'Process stored Meta webhook events again (changes nothing that was already right)',
    usage:
      'Options: --since TIME (ISO time, or a duration back from now such as 2h or 3d; required),\n' +
      '         --status failed|unrouted|processed|invalid|unhandled (default: all), --wait (process now, in this command)\n' +
      'Without --wait the running workers pick the events up.',
    options: { since: { type: 'string' }, status: { type: 'string' }, wait: { type: 'boolean' } },
    async run({ config, values, buildApp }) {
      const since = parseSince(typeof values.since === 'string' ? values.since : '');
      if (!since) {
        console.error('--since is required: an ISO time (2026-11-20T00:00:00Z) or a duration back from now (90m, 2h, 3d)');
        return 2;
      }
      const statuses = ['failed', 'unrouted', 'processed', 'invalid', 'unhandled'] as const;
      const status = statuses.find((s) => s === values.status);
      if (values.status !== undefined && !status) {
        console.error(`--status must be one of ${statuses.join(', ')}`);
        return 2;
      }
      return withApp(buildApp({ ...config, workersEnabled: false }), async (t) => {
      const requeued = await t.services.webhookEvents.requeue({ since, statuses: status ? [status] : [...statuses] });
      console.log(`Queued ${requeued} webhook events received since ${since.toISOString()} for processing.`);
      if (values.wait) {
        await t.startWorkers();
        const done = await t.services.webhookProcessor.runUntilIdle();
        console.log(`Processed ${done} events.`);
      }
      return 0;
      });
    },
  },
  'rotate-keys': {
    summary: 'Re-encrypt every stored secret with the first key of ENCRYPTION_KEYS',
    usage: 'Set ENCRYPTION_KEYS="new,old" first; after this command the old key can be removed.',
    options: {},
    async run({ config, buildApp }) {
      return withApp(buildApp(config), async (t) => {
      const report = await rotateSecrets(t.database.db, t.vault);
      console.log(`Re-encrypted ${report.changed} secrets; ${report.unchanged} were already current.`);
      for (const u of report.unreadable) console.error(`Cannot decrypt ${u.column} of account ${u.accountId} with any configured key.`);
      return report.unreadable.length > 0 ? 1 : 0;
      });
    },
  },
  'import-legacy-account': {
    summary: 'Move the account of INSTAGRAM_BUSINESS_ACCOUNT_ID / INSTAGRAM_PAGE_ACCESS_TOKEN into the database',
    usage:
      'Idempotent. The token is encrypted into the database and the first administrator becomes owner (primary account).\n' +
      'The host its token belongs to (a Page token: graph.facebook.com; an Instagram token: graph.instagram.com) is\n' +
      'recorded with the profile (INSTAGRAM_LEGACY_API=auto asks Meta).\n' +
      'Afterwards the two settings can be removed; until then the configured account keeps working.',
    options: {},
    async run({ config, buildApp }) {
      return withApp(buildApp({ ...config, workersEnabled: false }), async (t) => {
      const r = await t.services.legacyAccount.import();
      const where =
        r.path === 'facebook_login'
          ? `through the Facebook Page "${r.pageName ?? '?'}" (graph.facebook.com)`
          : r.path === 'instagram_login'
            ? 'through Instagram Login (graph.instagram.com)'
            : `but neither Meta host takes its token yet: ${r.problem ?? 'unknown'}`;
      console.log(
        `Imported @${r.username} (Instagram id ${r.igUserId}) as account ${r.accountId}, owned by ${r.owner}, ${where}; ` +
          `${r.tokenStored ? 'its token is now encrypted in the database' : 'its token was already in the database'}. ` +
          'INSTAGRAM_BUSINESS_ACCOUNT_ID and INSTAGRAM_PAGE_ACCESS_TOKEN can now be removed.',
      );
      return 0;
      });
    },
  },
  'migrate-tokens': {
    summary: 'Encrypt tokens the old single-account system stored as plain base64',
    usage: 'Idempotent: values already encrypted are left alone.',
    options: {},
    async run({ config, buildApp }) {
      return withApp(buildApp(config), async (t) => {
      const report = await migrateLegacySecrets(t.database.db, t.vault);
      console.log(`Encrypted ${report.changed} legacy values; ${report.unchanged} needed nothing.`);
      return 0;
      });
    },
  },
  ...databaseCommands,
  doctor: doctorCommand,
};

/** An ISO time, or a duration back from now: 90m, 2h, 3d. */
export function parseSince(text: string, now = new Date()): Date | null {
  const duration = /^(\d+)\s*(m|h|d)$/.exec(text.trim());
  if (duration) {
    const unit = { m: 60_000, h: 3_600_000, d: 86_400_000 }[duration[2] as 'm' | 'h' | 'd'];
    return new Date(now.getTime() - Number(duration[1]) * unit);
  }
  if (!/^\d{4}-\d{2}-\d{2}/.test(text)) return null;
  const at = new Date(text);
  return Number.isNaN(at.getTime()) ? null : at;
}
