import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Config } from '../config.ts';
import type { Logger } from './logger.ts';

/**
 * The secret sessions are signed with and the vault key is derived from. With the embedded database and
 * no SESSION_SECRET, a strong one is generated once into the data directory (mode 0600) and reused.
 */
export function resolveSessionSecret(config: Config, log: Logger): string {
  // a weak one never gets here: the config refuses it on every engine
  if (config.sessionSecret) return config.sessionSecret;
  const file = path.join(config.dataDir, 'session-secret');
  try {
    const existing = fs.readFileSync(file, 'utf8').trim();
    if (existing.length >= 32) return existing;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  fs.mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const secret = randomBytes(48).toString('base64url');
  fs.writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'w' });
  fs.chmodSync(file, 0o600);
  log.warn(
    { file },
    'SESSION_SECRET is not set: generated one into the data directory. Back it up with the data: tokens stored in the database cannot be decrypted without it.',
  );
  return secret;
}
