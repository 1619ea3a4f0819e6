import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Agent, setGlobalDispatcher } from 'undici';
import { freePort, ROOT, runToEnd, startProcess, type Proc } from './processes.ts';

export const NGINX = process.env.NGINX_PATH ?? '/usr/sbin/nginx';
const SHIPPED_CONF = path.join(ROOT, 'deploy/nginx/threadline.conf');

export type Certificate = { cert: string; key: string; pem: string };

/** A self-signed certificate for localhost and 127.0.0.1, and this process's fetch trusting it (and only it). */
export function selfSignedCertificate(dir: string): Certificate {
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  runToEnd('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', key, '-out', cert,
  ]);
  const pem = readFileSync(cert, 'utf8');
  setGlobalDispatcher(new Agent({ connect: { ca: pem } }));
  return { cert, key, pem };
}

/** Replaces one fragment of the shipped configuration, failing loudly when it is no longer there. */
function replaceOnce(text: string, from: string | RegExp, to: string): string {
  const found = typeof from === 'string' ? text.includes(from) : from.test(text);
  if (!found) throw new Error(`deploy/nginx/threadline.conf no longer contains ${String(from)}: update the deploy tests`);
  return text.replace(from, to);
}

/**
 * deploy/nginx/threadline.conf as shipped, with only what a real install changes: the ports (ephemeral here), the
 * host name, the certificate, the upstream servers and the install path.
 */
export function renderShippedConf(opts: { httpPort: number; httpsPort: number; upstreams: number[]; cert: Certificate }): string {
  let conf = readFileSync(SHIPPED_CONF, 'utf8');
  conf = replaceOnce(conf, /\n\s*listen 80;\n\s*listen \[::\]:80;/, `\n    listen 127.0.0.1:${opts.httpPort};`);
  conf = replaceOnce(conf, /\n\s*listen 443 ssl http2;\n\s*listen \[::\]:443 ssl http2;/, `\n    listen 127.0.0.1:${opts.httpsPort} ssl http2;`);
  conf = replaceOnce(conf, /server_name inbox\.example\.com;/g, 'server_name localhost;');
  conf = replaceOnce(conf, 'return 301 https://$host$request_uri;', `return 301 https://$host:${opts.httpsPort}$request_uri;`);
  conf = replaceOnce(conf, '/etc/letsencrypt/live/inbox.example.com/fullchain.pem', opts.cert.cert);
  conf = replaceOnce(conf, '/etc/letsencrypt/live/inbox.example.com/privkey.pem', opts.cert.key);
  conf = replaceOnce(conf, '    server 127.0.0.1:8000;\n', opts.upstreams.map((p) => `    server 127.0.0.1:${p};\n`).join(''));
  conf = replaceOnce(conf, /\/opt\/threadline/g, ROOT);
  return conf;
}

export type Nginx = { httpPort: number; httpsPort: number; baseUrl: string; proc: Proc; errorLog: () => string; stop(): Promise<void> };

export async function nginxPorts(): Promise<{ httpPort: number; httpsPort: number }> {
  return { httpPort: await freePort(), httpsPort: await freePort() };
}

/** Debian's nginx, in the foreground, with the shipped site configuration in a minimal main configuration. */
export async function startNginx(dir: string, ports: { httpPort: number; httpsPort: number }, upstreams: number[], cert: Certificate): Promise<Nginx> {
  if (!existsSync(NGINX)) throw new Error(`No nginx at ${NGINX}: apt-get install -y nginx-light (as .ci/run does)`);
  const { httpPort, httpsPort } = ports;
  for (const sub of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi', 'logs']) mkdirSync(path.join(dir, sub), { recursive: true });
  writeFileSync(path.join(dir, 'threadline.conf'), renderShippedConf({ httpPort, httpsPort, upstreams, cert }));
  writeFileSync(
    path.join(dir, 'nginx.conf'),
    [
      'worker_processes 1;',
      ...(process.getuid?.() === 0 ? ['user root;'] : []),
      `pid ${dir}/nginx.pid;`,
      `error_log ${dir}/logs/error.log warn;`,
      'events { worker_connections 1024; }',
      'http {',
      '  include /etc/nginx/mime.types;',
      '  default_type application/octet-stream;',
      `  access_log ${dir}/logs/access.log;`,
      `  client_body_temp_path ${dir}/body;`,
      `  proxy_temp_path ${dir}/proxy;`,
      `  fastcgi_temp_path ${dir}/fastcgi;`,
      `  uwsgi_temp_path ${dir}/uwsgi;`,
      `  scgi_temp_path ${dir}/scgi;`,
      `  include ${dir}/threadline.conf;`,
      '}',
    ].join('\n'),
  );
  runToEnd(NGINX, ['-t', '-p', dir, '-c', path.join(dir, 'nginx.conf')]);
  const proc = startProcess('nginx', NGINX, ['-p', dir, '-c', path.join(dir, 'nginx.conf'), '-g', 'daemon off;'], {});
  const baseUrl = `https://localhost:${httpsPort}`;
  for (let i = 0; i < 100; i++) {
    if (proc.child.exitCode !== null) throw new Error(`nginx exited:\n${proc.log()}`);
    try {
      await fetch(`${baseUrl}/healthz`);
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const errorLog = () => (existsSync(path.join(dir, 'logs/error.log')) ? readFileSync(path.join(dir, 'logs/error.log'), 'utf8') : '');
  return { httpPort, httpsPort, baseUrl, proc, errorLog, stop: () => proc.stop() };
}
