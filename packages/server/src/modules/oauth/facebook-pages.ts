import { escapeHtml, layout } from './oauth-pages.ts';

/** The pages of "Continue with Facebook" that stay on Threadline: the Page picker and the explanations. */

export type OfferedPage = { id: string; name: string; instagramUsername: string | null };

/** Several Pages have an Instagram account: the person chooses which to link (one or more). */
export function pagePickerPage(input: { action: string; pages: OfferedPage[]; error?: string }): string {
  const items = input.pages
    .map((p) =>
      p.instagramUsername
        ? `<label><input type="checkbox" name="page_${escapeHtml(p.id)}" value="on"> ${escapeHtml(p.name)} <small>Instagram @${escapeHtml(p.instagramUsername)}</small></label>`
        : `<label class="off"><input type="checkbox" disabled> ${escapeHtml(p.name)} <small>no Instagram professional account linked to this Page</small></label>`,
    )
    .join('\n');
  return layout(
    'Choose the Instagram accounts to link',
    `<p>These Facebook Pages have an Instagram professional account. Threadline answers the Instagram messages of the ones you choose.</p>
${input.error ? `<p class="error" role="alert">${escapeHtml(input.error)}</p>` : ''}
<form method="post" action="${escapeHtml(input.action)}">
${items}
<p><button type="submit">Link the chosen accounts</button></p>
</form>`,
  );
}

const TRY_AGAIN = 'Try again';

/** Permissions Threadline needs were declined (or never granted) in Facebook's dialog. */
export function missingPermissionsPage(input: { missing: string[]; retryHref: string; backHref: string }): string {
  const list = input.missing.map((p) => `<li><code>${escapeHtml(p)}</code></li>`).join('');
  return layout(
    'Facebook permissions missing',
    `<p>Threadline cannot answer your Instagram messages without these permissions, which were not granted:</p>
<ul>${list}</ul>
<p>Press “${TRY_AGAIN}”: Facebook asks for them again. In its dialog choose <strong>Edit access</strong> (or <strong>Edit settings</strong>),
keep every permission switched on, and select the Pages whose Instagram accounts you want to connect.</p>
<p><a href="${escapeHtml(input.retryHref)}">${TRY_AGAIN}</a> · <a href="${escapeHtml(input.backHref)}">Back to Threadline</a></p>`,
  );
}

/** None of the Pages granted has an Instagram professional account. */
export function noInstagramAccountPage(input: { pageNames: string[]; retryHref: string; backHref: string }): string {
  const granted = input.pageNames.length
    ? `<p>The Pages you granted (${input.pageNames.map((n) => `<strong>${escapeHtml(n)}</strong>`).join(', ')}) have no Instagram professional account linked.</p>`
    : '<p>You granted Threadline no Facebook Page.</p>';
  return layout(
    'No Instagram account found',
    `${granted}
<p>Link the Instagram professional account to its Facebook Page first (in the Page’s settings: <strong>Linked accounts › Instagram</strong>,
or in Instagram: <strong>Settings › Account type and tools</strong>, switched to a Business or Creator account connected to the Page).
Then press “${TRY_AGAIN}” and, in Facebook’s dialog, choose <strong>Edit access</strong> and select that Page.</p>
<p><a href="${escapeHtml(input.retryHref)}">${TRY_AGAIN}</a> · <a href="${escapeHtml(input.backHref)}">Back to Threadline</a></p>`,
  );
}
