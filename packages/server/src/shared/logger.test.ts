import { describe, expect, it } from 'vitest';
import { createTestApp } from '../../test/app.ts';
import { redactUrl } from './logger.ts';

describe('logs never carry secrets from URLs', () => {
  it('replaces OAuth codes, states, tokens and verify tokens in a URL', () => {
    expect(redactUrl('/oauth/instagram/callback?code=AQB123#_&state=s3cr3t')).not.toMatch(/AQB123|s3cr3t/);
    expect(redactUrl('/webhooks/instagram?hub.mode=subscribe&hub.verify_token=vt&hub.challenge=42')).toBe(
      '/webhooks/instagram?hub.mode=subscribe&hub.verify_token=%5Bredacted%5D&hub.challenge=42',
    );
    expect(redactUrl('/plain/path')).toBe('/plain/path');
  });

  it("redacts the URL in the server's own request log lines", async () => {
    const t = await createTestApp({ INSTAGRAM_VERIFY_TOKEN: 'verify-token-value' });
    try {
      await t.app.inject({ method: 'GET', url: '/webhooks/instagram?hub.mode=subscribe&hub.verify_token=verify-token-value&hub.challenge=7' });
      await t.app.inject({ method: 'GET', url: '/oauth/instagram/callback?code=AQDsecretcode&state=statevalue' });
      const logs = t.logLines.join('\n');
      expect(logs).toContain('incoming request');
      expect(logs).not.toContain('verify-token-value');
      expect(logs).not.toContain('AQDsecretcode');
    } finally {
      await t.close();
    }
  });
});
