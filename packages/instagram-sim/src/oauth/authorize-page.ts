import type { SimAccount, SimIgUser } from '../state/schema.ts';

/** The HTML of the simulated Instagram consent dialog: real forms, so a browser (or Playwright) can click through. */

const escape = (value: string): string =>
  value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const layout = (title: string, body: string): string => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font-family:system-ui,sans-serif;background:#fafafa;display:flex;justify-content:center;padding:40px}
main{background:#fff;border:1px solid #dbdbdb;border-radius:8px;padding:24px 32px;max-width:420px;width:100%}
h1{font-size:20px} .account{display:block;padding:8px;border:1px solid #eee;border-radius:6px;margin:6px 0}
button{padding:8px 18px;border-radius:6px;border:0;margin-right:8px;cursor:pointer}
.allow{background:#0095f6;color:#fff} .cancel{background:#efefef} .error{color:#c00}
small{color:#737373}
</style></head><body><main>${body}</main></body></html>`;

export function errorPage(message: string): string {
  return layout('Error', `<h1>Instagram</h1><p class="error" data-error="${escape(message)}">${escape(message)}</p>`);
}

export interface ConsentPageInput {
  appName: string;
  user: SimIgUser | null;
  users: SimIgUser[];
  accounts: SimAccount[];
  scopes: string[];
  hidden: Record<string, string>;
  switchUrl: (userId: string) => string;
}

export function consentPage(input: ConsentPageInput): string {
  const hidden = Object.entries(input.hidden)
    .map(([name, value]) => `<input type="hidden" name="${escape(name)}" value="${escape(value)}">`)
    .join('\n');
  const accounts = input.accounts.length
    ? input.accounts
        .map(
          (a, i) =>
            `<label class="account"><input type="radio" name="account_id" value="${escape(a.igId)}"${i === 0 ? ' checked' : ''}> @${escape(a.username)} <small>${escape(a.name)} · ${escape(a.accountType)}</small></label>`,
        )
        .join('\n')
    : '<p class="error">This Instagram user has no professional account.</p>';
  const others = input.users
    .filter((u) => u.id !== input.user?.id)
    .map((u) => `<a href="${escape(input.switchUrl(u.id))}">@${escape(u.username)}</a>`)
    .join(' · ');
  const scopes = input.scopes.map((s) => `<li>${escape(s)}</li>`).join('');
  return layout(
    `Allow ${input.appName}`,
    `<h1>Allow <strong>${escape(input.appName)}</strong> to access your account?</h1>
<p>Logged in as <strong>@${escape(input.user?.username ?? 'nobody')}</strong>${others ? `<br><small>Switch user: ${others}</small>` : ''}</p>
<form method="post" action="/oauth/authorize">
${hidden}
${accounts}
<p><small>Requested permissions:</small></p><ul>${scopes}</ul>
<button class="allow" type="submit" name="action" value="allow"${input.accounts.length ? '' : ' disabled'}>Allow</button>
<button class="cancel" type="submit" name="action" value="cancel">Cancel</button>
</form>`,
  );
}
