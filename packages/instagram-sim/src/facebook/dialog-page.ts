import type { SimAccount } from '../state/schema.ts';
import type { SimFacebookUser, SimPage } from './state.ts';

/** The HTML of the simulated Facebook Login dialog: real forms, so a browser (or Playwright) can click through. */

const escape = (value: string): string => value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const layout = (title: string, body: string): string => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font-family:system-ui,sans-serif;background:#f0f2f5;display:flex;justify-content:center;padding:40px}
main{background:#fff;border-radius:8px;box-shadow:0 1px 2px rgb(0 0 0/20%);padding:24px 32px;max-width:460px;width:100%}
h1{font-size:20px} h2{font-size:15px;margin:18px 0 6px} label{display:block;padding:6px 8px;border:1px solid #e4e6eb;border-radius:6px;margin:4px 0}
button{padding:8px 18px;border-radius:6px;border:0;margin-right:8px;cursor:pointer;font-weight:600}
.continue{background:#1877f2;color:#fff} .cancel{background:#e4e6eb} .error{color:#c00} small{color:#65676b}
</style></head><body><main>${body}</main></body></html>`;

export function facebookErrorPage(message: string): string {
  return layout('Facebook', `<h1>Facebook</h1><p class="error" data-error="${escape(message)}">${escape(message)}</p>`);
}

export interface PermissionChoice {
  name: string;
  /** Declined earlier and not asked again (no `auth_type=rerequest`): shown off and locked, as Meta does. */
  locked: boolean;
}

export interface DialogPageInput {
  appName: string;
  user: SimFacebookUser | null;
  users: SimFacebookUser[];
  pages: { page: SimPage; instagram: SimAccount | null }[];
  permissions: PermissionChoice[];
  hidden: Record<string, string>;
  switchUrl: (userId: string) => string;
}

export function facebookDialogPage(input: DialogPageInput): string {
  const hidden = Object.entries(input.hidden)
    .map(([name, value]) => `<input type="hidden" name="${escape(name)}" value="${escape(value)}">`)
    .join('\n');
  const pages = input.pages.length
    ? input.pages
        .map(
          ({ page, instagram }) =>
            `<label class="page"><input type="checkbox" name="page_${escape(page.id)}" value="on" checked> ${escape(page.name)} <small>${
              instagram ? `Instagram @${escape(instagram.username)}` : 'no Instagram account'
            }</small></label>`,
        )
        .join('\n')
    : '<p class="error">You manage no Facebook Page.</p>';
  const permissions = input.permissions
    .map(
      (p) =>
        `<label class="permission"><input type="checkbox" name="perm_${escape(p.name)}" value="on"${p.locked ? ' disabled' : ' checked'}> ${escape(p.name)}${
          p.locked ? ' <small>declined earlier</small>' : ''
        }</label>`,
    )
    .join('\n');
  const others = input.users
    .filter((u) => u.id !== input.user?.id)
    .map((u) => `<a href="${escape(input.switchUrl(u.id))}">${escape(u.name)}</a>`)
    .join(' · ');
  return layout(
    `Log in to ${input.appName} with Facebook`,
    `<h1><strong>${escape(input.appName)}</strong> is requesting access to your Facebook Pages</h1>
<p>Logged in as <strong>${escape(input.user?.name ?? 'nobody')}</strong>${others ? `<br><small>Switch person: ${others}</small>` : ''}</p>
<form method="post">
${hidden}
<h2>Choose the Pages</h2>
${pages}
<h2>Permissions</h2>
${permissions}
<p><button class="continue" type="submit" name="action" value="allow"${input.user ? '' : ' disabled'}>Continue</button>
<button class="cancel" type="submit" name="action" value="cancel">Cancel</button></p>
</form>`,
  );
}
