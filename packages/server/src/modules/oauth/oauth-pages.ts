/** Minimal HTML pages for the browser steps that cannot go back to the web app (nothing to trust a redirect to). */

export const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

/** No script, no outside resource, forms only to Threadline itself. */
export const OAUTH_PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/** A whole page around `body` (HTML the caller escaped). */
export function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin"><title>${escapeHtml(title)} · Threadline</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#222}
label{display:block;padding:.5rem .75rem;border:1px solid #ddd;border-radius:.5rem;margin:.4rem 0}
label.off{color:#777;background:#f6f6f6} small{color:#666} button{font:inherit;padding:.5rem 1.2rem;border-radius:.5rem;border:0;background:#1877f2;color:#fff;cursor:pointer}
.error{color:#b00020}</style>
</head><body><h1>${escapeHtml(title)}</h1>
${body}
</body></html>`;
}

export function page(title: string, paragraphs: string[], link?: { href: string; text: string }): string {
  const body = paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join('\n');
  const a = link ? `<p><a href="${escapeHtml(link.href)}">${escapeHtml(link.text)}</a></p>` : '';
  return layout(title, `${body}\n${a}`);
}
