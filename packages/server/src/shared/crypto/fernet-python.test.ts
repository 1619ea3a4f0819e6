// Cross-checks against Python's `cryptography.fernet`, the implementation whose tokens we must read (the old
// system wrote them) and that must read ours. Skipped, saying why, on a machine without it.
import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { fernetDecrypt, fernetEncrypt, generateFernetKey, parseFernetKey } from './fernet.ts';

const probe = spawnSync('python3', ['-c', 'import cryptography.fernet'], { encoding: 'utf8' });
const pythonMissing = probe.status !== 0;
const skipReason = pythonMissing
  ? `python3 with the "cryptography" package is not available (${probe.error?.message ?? probe.stderr.trim()})`
  : '';

// Key and token travel on stdin, never on the command line.
const PY_DECRYPT = `
import sys, json
from cryptography.fernet import Fernet
req = json.load(sys.stdin)
sys.stdout.write(Fernet(req["key"]).decrypt(req["token"].encode()).decode("utf-8"))
`;
const PY_ENCRYPT = `
import sys, json
from cryptography.fernet import Fernet
req = json.load(sys.stdin)
sys.stdout.write(Fernet(req["key"]).encrypt(req["plain"].encode("utf-8")).decode("ascii"))
`;

function python(script: string, input: object): string {
  return execFileSync('python3', ['-c', script], { input: JSON.stringify(input), encoding: 'utf8' });
}

describe('Fernet interoperability with Python cryptography', () => {
  const plains = ['hello', '', 'IGQVJWd2xhbGxvd29ybGQ_token-with_url+chars/=', 'ünïcödé ✓ 🎉', 'x'.repeat(1000)];

  it.skipIf(pythonMissing)(`Python decrypts tokens written here${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
    const keyText = generateFernetKey();
    const key = parseFernetKey(keyText);
    for (const plain of plains) {
      expect(python(PY_DECRYPT, { key: keyText, token: fernetEncrypt(key, plain) })).toBe(plain);
    }
  });

  it.skipIf(pythonMissing)(`tokens written by Python decrypt here${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
    const keyText = generateFernetKey();
    const key = parseFernetKey(keyText);
    for (const plain of plains) {
      const token = python(PY_ENCRYPT, { key: keyText, plain });
      expect(fernetDecrypt(key, token, { ttlSeconds: 3600 }).toString('utf8')).toBe(plain);
    }
  });

  it.skipIf(pythonMissing)(`Python rejects a token signed with another key${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
    const token = fernetEncrypt(parseFernetKey(generateFernetKey()), 'secret');
    expect(() =>
      execFileSync('python3', ['-c', PY_DECRYPT], {
        input: JSON.stringify({ key: generateFernetKey(), token }),
        stdio: ['pipe', 'pipe', 'pipe'],
      }),
    ).toThrow();
  });
});
