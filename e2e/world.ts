import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createSimulator, SimClient, type Simulator } from '@threadline/instagram-sim';

const ROOT = path.resolve(import.meta.dirname, '..');
const VERIFY_TOKEN = 'e2e-verify-token';
export const PNG = Buffer.from(
  '89504e470d0a1a0a0000000d49484452000000100000001008020000009091683600000017494441547801636460f80f0419a01a30aa613050c300006c1f0ff1c1a6f4e60000000049454e44ae426082',
  'hex',
);

export type CrmHit = { path: string; headers: IncomingMessage['headers']; body: string };

/**
 * One isolated world: the Meta simulator (Instagram and Facebook sides), a small loopback "outside" (a CDN serving an
 * image and a CRM receiving webhooks), and the real Threadline server (`main.ts serve`, the built web app) pointed at
 * them, with its own temporary data directory.
 */
export type World = {
  baseUrl: string;
  simUrl: string;
  outsideUrl: string;
  sim: Simulator;
  control: SimClient;
  appId: string;
  /** The same app's Meta app id ("Continue with Facebook" is configured with it and its secret). */
  metaAppId: string;
  crmHits: CrmHit[];
  serverLog: () => string;
  close(): Promise<void>;
};

async function freePort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const address = s.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

async function waitReady(url: string, child: ChildProcess, log: () => string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`Threadline exited (${child.exitCode}):\n${log()}`);
    try {
      const res = await fetch(`${url}/readyz`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`Threadline did not become ready:\n${log()}`);
}

export async function startWorld(opts: { env?: Record<string, string>; port?: number; simPort?: number } = {}): Promise<World> {
  const sim = createSimulator({ deliveryTickMs: 0 });
  const simUrl = await sim.listen(opts.simPort ?? 0);
  const control = new SimClient(simUrl);

  const crmHits: CrmHit[] = [];
  const outside: Server = createServer((req, res) => {
    if (req.method === 'GET' && req.url?.startsWith('/photo.png')) return void res.writeHead(200, { 'content-type': 'image/png' }).end(PNG);
    if (req.method === 'POST' && req.url?.startsWith('/crm')) {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        crmHits.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      });
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => outside.listen(0, '127.0.0.1', resolve));
  const oa = outside.address();
  const outsideUrl = `http://127.0.0.1:${typeof oa === 'object' && oa ? oa.port : 0}`;

  const port = opts.port ?? (await freePort());
  const baseUrl = `http://127.0.0.1:${port}`;
  const secret = randomBytes(24).toString('hex');
  const app = await control.createApp({
    name: 'Threadline e2e',
    secret,
    redirectUris: [`${baseUrl}/oauth/instagram/callback`, `${baseUrl}/oauth/facebook/callback`],
  });
  const dataDir = mkdtempSync(path.join(tmpdir(), 'threadline-e2e-'));
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? dataDir,
    PORT: String(port),
    HOST: '127.0.0.1',
    PUBLIC_BASE_URL: baseUrl,
    DATA_DIR: dataDir,
    SESSION_SECRET: randomBytes(32).toString('hex'),
    LOG_LEVEL: 'warn',
    LOG_PRETTY: 'false',
    INSTAGRAM_AUTHORIZE_URL: `${simUrl}/oauth/authorize`,
    INSTAGRAM_API_URL: simUrl,
    INSTAGRAM_GRAPH_URL: simUrl,
    INSTAGRAM_OAUTH_CLIENT_ID: app.id,
    INSTAGRAM_OAUTH_CLIENT_SECRET: secret,
    INSTAGRAM_VERIFY_TOKEN: VERIFY_TOKEN,
    FACEBOOK_APP_ID: app.metaAppId,
    FACEBOOK_APP_SECRET: app.metaAppSecret,
    FACEBOOK_DIALOG_URL: control.facebook.url,
    FACEBOOK_GRAPH_URL: control.facebook.url,
    MEDIA_ALLOWED_NETWORKS: '127.0.0.1/32',
    CRM_ALLOW_HTTP: 'true',
    // the browser tests (and the demo) sign people up with Instagram; invitations have their own tests
    SIGNUP_MODE: 'open',
    ...opts.env,
  };
  let log = '';
  const child = spawn(process.execPath, [path.join(ROOT, 'packages/server/src/main.ts'), 'serve'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const keep = (b: Buffer) => {
    log = (log + b.toString('utf8')).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  try {
    await waitReady(baseUrl, child, () => log);
    await control.setWebhook(app.id, { callbackUrl: `${baseUrl}/webhooks/instagram`, verifyToken: VERIFY_TOKEN });
  } catch (error) {
    child.kill('SIGKILL');
    await sim.close();
    outside.close();
    throw error;
  }

  return {
    baseUrl,
    simUrl,
    outsideUrl,
    sim,
    control,
    appId: app.id,
    metaAppId: app.metaAppId,
    crmHits,
    serverLog: () => log,
    async close() {
      if (child.exitCode === null) {
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      await sim.close();
      await new Promise<void>((resolve) => outside.close(() => resolve()));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
