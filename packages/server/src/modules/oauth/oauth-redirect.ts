import { OAUTH_DEFAULT_REDIRECT } from '@threadline/contract';

const BASE = 'http://threadline.invalid';

/**
 * Where a flow may land: a same-origin relative path only (`/inbox?x=1`). Absolute URLs, protocol-relative
 * `//host`, backslash tricks (`/\host`), control characters and anything that resolves elsewhere become
 * `/chat`: no open redirect.
 */
export function safeRedirect(raw: string | undefined): string {
  if (raw === undefined) return OAUTH_DEFAULT_REDIRECT;
  // eslint-disable-next-line no-control-regex
  if (!raw.startsWith('/') || raw.startsWith('//') || raw.includes('\\') || /[\u0000-\u001f\u007f]/.test(raw)) {
    return OAUTH_DEFAULT_REDIRECT;
  }
  let url: URL;
  try {
    url = new URL(raw, BASE);
  } catch {
    return OAUTH_DEFAULT_REDIRECT;
  }
  if (url.origin !== BASE) return OAUTH_DEFAULT_REDIRECT;
  return `${url.pathname}${url.search}${url.hash}`;
}

/** `{redirect}?oauth=success` (or `…&oauth=error&reason=…`), keeping the redirect's own query. */
export function withOAuthResult(redirect: string, params: Record<string, string>): string {
  const url = new URL(safeRedirect(redirect), BASE);
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
  return `${url.pathname}${url.search}${url.hash}`;
}
