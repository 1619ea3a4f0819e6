import { describe, expect, it } from 'vitest';
import { safeRedirect, withOAuthResult } from './oauth-redirect.ts';

describe('OAuth landing redirect', () => {
  it('keeps a same-origin relative path with its query', () => {
    expect(safeRedirect('/inbox?tab=unread')).toBe('/inbox?tab=unread');
  });

  it.each([
    ['an absolute URL', 'https://evil.example/steal'],
    ['a protocol-relative URL', '//evil.example/steal'],
    ['a backslash trick', '/\\evil.example'],
    ['a javascript: URL', 'javascript:alert(1)'],
    ['a relative path without a slash', 'chat'],
    ['a path with a newline', '/chat\nLocation: https://evil.example'],
    ['a tab-smuggled protocol-relative URL', '/\t/evil.example'],
  ])('replaces %s with /chat', (_name, raw) => {
    expect(safeRedirect(raw)).toBe('/chat');
  });

  it('lands on /chat when no redirect is given', () => {
    expect(safeRedirect(undefined)).toBe('/chat');
  });

  it('adds the outcome to the redirect without losing its own query', () => {
    expect(withOAuthResult('/settings?tab=accounts', { oauth: 'error', reason: 'access_denied' })).toBe(
      '/settings?tab=accounts&oauth=error&reason=access_denied',
    );
  });
});
