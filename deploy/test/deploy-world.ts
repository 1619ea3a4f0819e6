import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SimClient } from '@threadline/instagram-sim';
import { nginxPorts, selfSignedCertificate, startNginx, type Nginx } from './nginx-proxy.ts';
import { freePort, ROOT, runToEnd, startProcess, startThreadline, waitFor, MAIN, type Proc } from './processes.ts';

export const VERIFY_TOKEN = 'deploy-verify-token';
export const PNG = Buffer.from(
  '89504e470d0a1a0a0000000d49484452000000100000001008020000009091683600000017494441547801636460f80f0419a01a30aa613050c300006c1f0ff1c1a6f4e60000000049454e44ae426082',
  'hex',
);

export type CrmHit = { headers: IncomingMessage['headers']; body: string };

/**
 * Threadline as deployed: Debian's nginx with the shipped configuration and a self-signed certificate in front
 * (https://localhost:<port>), one or more Threadline processes behind it, the Instagram simulator as its own
 * process (it trusts the certificate, so Meta's webhooks and handshakes go through nginx over TLS), and a small
 * loopback "outside" (a CDN image and a CRM receiver).
 */
export type DeployWorld = {
  baseUrl: string;
  simUrl: string;
  outsideUrl: string;
  control: SimClient;
  appId: string;
  appSecret: string;
  /** The self-signed certificate nginx presents (this process's fetch already trusts it). */
  certificatePem: string;
  crmHits: CrmHit[];
  nginx: Nginx;
  threadline: Proc[];
  /** Each API process directly (http://127.0.0.1:port), bypassing nginx: for /metrics, which it serves to loopback. */
  apiUrls: string[];
  logs(): string;
  close(): Promise<void>;
};

export async function startDeployWorld(opts: { api: number; workers: number; databaseUrl?: string; logLevel?: string }): Promise<DeployWorld> {
  const dir = mkdtempSync(path.join(tmpdir(), 'threadline-deploy-'));
  const procs: Proc[] = [];
  let outside: Server | null = null;
  let nginx: Nginx | null = null;
  const closeAll = async () => {
    await Promise.all(procs.map((p) => p.stop()));
    await nginx?.stop();
    await new Promise<void>((resolve) => (outside ? outside.close(() => resolve()) : resolve()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const cert = selfSignedCertificate(dir);
    const simPort = await freePort();
    const simUrl = `http://127.0.0.1:${simPort}`;
    const sim = startProcess('simulator', process.execPath, [path.join(ROOT, 'packages/instagram-sim/src/main.ts'), '--port', String(simPort), '--quiet'], {
      NODE_EXTRA_CA_CERTS: cert.cert,
    });
    procs.push(sim);

    const crmHits: CrmHit[] = [];
    outside = createServer((req, res) => {
      if (req.method === 'GET' && req.url?.startsWith('/photo.png')) return void res.writeHead(200, { 'content-type': 'image/png' }).end(PNG);
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (req.method === 'POST' && req.url?.startsWith('/crm')) {
          crmHits.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
          return void res.writeHead(204).end();
        }
        res.writeHead(404).end();
      });
    });
    await new Promise<void>((resolve) => outside?.listen(0, '127.0.0.1', resolve));
    const oa = outside.address();
    const outsideUrl = `http://127.0.0.1:${typeof oa === 'object' && oa ? oa.port : 0}`;

    const ports = await nginxPorts();
    const baseUrl = `https://localhost:${ports.httpsPort}`;
    const apiPorts = await Promise.all(Array.from({ length: opts.api }, () => freePort()));

    const control = new SimClient(simUrl);
    await waitFor(`${simUrl}/_sim/health`, sim);
    const appSecret = randomBytes(24).toString('hex');
    const app = await control.createApp({ name: 'Threadline deploy', secret: appSecret, redirectUris: [`${baseUrl}/oauth/instagram/callback`] });
    const env: Record<string, string> = {
      PUBLIC_BASE_URL: baseUrl,
      TRUST_PROXY: '1',
      HOST: '127.0.0.1',
      SESSION_SECRET: randomBytes(32).toString('hex'),
      LOG_LEVEL: opts.logLevel ?? 'warn',
      INSTAGRAM_AUTHORIZE_URL: `${simUrl}/oauth/authorize`,
      INSTAGRAM_API_URL: simUrl,
      INSTAGRAM_GRAPH_URL: simUrl,
      INSTAGRAM_OAUTH_CLIENT_ID: app.id,
      INSTAGRAM_OAUTH_CLIENT_SECRET: appSecret,
      INSTAGRAM_VERIFY_TOKEN: VERIFY_TOKEN,
      MEDIA_ALLOWED_NETWORKS: '127.0.0.1/32',
      CRM_ALLOWED_NETWORKS: '127.0.0.1/32',
      CRM_ALLOW_HTTP: 'true',
      ...(opts.databaseUrl ? { DATABASE_URL: opts.databaseUrl, WORKERS_ENABLED: opts.workers > 0 ? 'false' : 'true' } : {}),
    };
    const dataDir = (name: string) => {
      const d = path.join(dir, name);
      mkdirSync(d, { recursive: true });
      return d;
    };
    if (opts.databaseUrl) runToEnd(process.execPath, [MAIN, 'migrate'], { ...env, DATA_DIR: dataDir('migrate') });
    const apis = apiPorts.map((port, i) =>
      startThreadline(`api ${i + 1}`, opts.workers > 0 ? ['serve', '--no-workers'] : ['serve'], { ...env, PORT: String(port), DATA_DIR: dataDir(`api${i + 1}`) }),
    );
    const workers = Array.from({ length: opts.workers }, (_, i) => startThreadline(`worker ${i + 1}`, ['worker'], { ...env, DATA_DIR: dataDir(`worker${i + 1}`) }));
    procs.push(...apis, ...workers);
    await Promise.all(apis.map((p, i) => waitFor(`http://127.0.0.1:${apiPorts[i]}/readyz`, p)));
    // nginx only once the APIs answer: its start-up probe would otherwise mark every upstream down for fail_timeout
    // (10 s), and a request in that window is answered 502 "no live upstreams"
    nginx = await startNginx(path.join(dir, 'nginx'), ports, apiPorts, cert);
    await control.setWebhook(app.id, { callbackUrl: `${baseUrl}/webhooks/instagram`, verifyToken: VERIFY_TOKEN });

    return {
      baseUrl,
      simUrl,
      outsideUrl,
      control,
      appId: app.id,
      appSecret,
      certificatePem: cert.pem,
      crmHits,
      nginx,
      threadline: [...apis, ...workers],
      apiUrls: apiPorts.map((p) => `http://127.0.0.1:${p}`),
      logs: () => [...apis, ...workers].map((p) => `--- ${p.name}\n${p.log()}`).join('\n'),
      close: closeAll,
    };
  } catch (error) {
    const logs = procs.map((p) => `--- ${p.name}\n${p.log()}`).join('\n');
    await closeAll();
    throw new Error(`${error instanceof Error ? error.message : String(error)}\n${logs}`, { cause: error });
  }
}
