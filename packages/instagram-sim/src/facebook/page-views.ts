import type { SimContext } from '../context.ts';
import { nonexistingField, parseFields } from '../graph/request.ts';
import type { FieldSpec } from '../graph/request.ts';
import { pageOf } from '../graph/paging.ts';
import type { SimAccount } from '../state/schema.ts';
import type { FacebookCall, PageCall } from './page-request.ts';
import type { SimFacebookUser, SimPage } from './state.ts';
import { pageTokenFor } from './tokens.ts';

/** graph.facebook.com views (§7): the person, their Pages (`/me/accounts`), permissions, a Page, its Instagram account. */

const IG_ACCOUNT_FIELDS: Record<string, (a: SimAccount) => unknown> = {
  id: (a) => a.igId,
  username: (a) => a.username,
  name: (a) => a.name,
  profile_picture_url: (a) => a.profilePictureUrl,
  followers_count: (a) => a.followersCount,
  follows_count: (a) => a.followsCount,
  media_count: (a) => a.mediaIds.length,
  biography: (a) => a.biography,
};

/** An Instagram professional account as graph.facebook.com shows it (`/{ig-id}` or `instagram_business_account{…}`). */
export function igAccountView(account: SimAccount, fields: FieldSpec[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = { id: account.igId };
  for (const { name } of fields ?? [{ name: 'id' }]) {
    const read = IG_ACCOUNT_FIELDS[name];
    if (!read) nonexistingField(name, 'IGUser');
    out[name] = read(account);
  }
  return out;
}

export function userView(user: SimFacebookUser, params: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { id: user.id };
  for (const { name } of parseFields(params['fields']) ?? [{ name: 'name' }]) {
    if (name === 'id') continue;
    if (name !== 'name') nonexistingField(name, 'User');
    out['name'] = user.name;
  }
  return out;
}

/** A Page's fields; `access_token` is the Page token (only `/me/accounts` asks for it, with a user token). */
export function pageView(ctx: SimContext, page: SimPage, fields: FieldSpec[], pageToken: () => string): Record<string, unknown> {
  const out: Record<string, unknown> = { id: page.id };
  for (const spec of fields) {
    if (spec.name === 'id') continue;
    else if (spec.name === 'name') out['name'] = page.name;
    else if (spec.name === 'access_token') out['access_token'] = pageToken();
    else if (spec.name === 'tasks') out['tasks'] = ['MANAGE', 'MESSAGING', 'MODERATE'];
    else if (spec.name === 'instagram_business_account') {
      const account = page.igAccountId ? ctx.state.account(page.igAccountId) : undefined;
      // Meta leaves the field out when no Instagram account is linked.
      if (account) out['instagram_business_account'] = igAccountView(account, spec.fields);
    } else nonexistingField(spec.name, 'Page');
  }
  return out;
}

export function ownPageView(ctx: SimContext, call: PageCall): Record<string, unknown> {
  const fields = parseFields(call.params['fields']) ?? [{ name: 'id' }, { name: 'name' }];
  return pageView(ctx, call.page, fields, () => call.token.token);
}

/** `/me/accounts`: the Pages the person manages and granted to the app, paged like every Graph list. */
export function accountsView(ctx: SimContext, call: FacebookCall, url: string) {
  const granted = new Set(call.grant?.pageIds ?? []);
  const pages = ctx.state.data.facebook.pages.filter((p) => p.managers.includes(call.token.userId) && granted.has(p.id));
  const fields = parseFields(call.params['fields']) ?? [{ name: 'id' }, { name: 'name' }, { name: 'access_token' }];
  const page = pageOf(pages, (p) => p.id, call.params, url);
  const data = page.items.map((p) => pageView(ctx, p, fields, () => pageTokenFor(ctx.state, ctx.clock, call.token, p).token));
  return { data, ...(page.paging ? { paging: page.paging } : {}) };
}

export function permissionsView(call: FacebookCall) {
  const granted = call.grant?.granted ?? ['public_profile'];
  const declined = call.grant?.declined ?? [];
  return {
    data: [
      ...granted.map((permission) => ({ permission, status: 'granted' })),
      ...declined.map((permission) => ({ permission, status: 'declined' })),
    ],
  };
}
