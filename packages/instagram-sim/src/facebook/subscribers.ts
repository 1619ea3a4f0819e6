import type { SimState } from '../state/store.ts';

/** Apps a Page-linked Instagram account's webhooks go to: those the Page is subscribed to (signed with the Meta app secret). */
export function pageSubscribersOf(state: SimState, igAccountId: string): string[] {
  const { pages, pageSubscriptions } = state.data.facebook;
  const pageIds = new Set(pages.filter((p) => p.igAccountId === igAccountId).map((p) => p.id));
  return [...new Set(pageSubscriptions.filter((s) => pageIds.has(s.pageId)).map((s) => s.appId))];
}
