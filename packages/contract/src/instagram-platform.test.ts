import { describe, expect, it } from 'vitest';
import {
  INSTAGRAM_GRAPH_ERRORS,
  INSTAGRAM_WEBHOOK_FIELD_ALIASES,
  graphErrorBodySchema,
  instagramOAuthErrorBodySchema,
  instagramWebhookFieldSchema,
} from './instagram-platform.ts';

describe('Instagram platform facts', () => {
  it('maps the MSG field spellings onto WH field names', () => {
    for (const field of Object.values(INSTAGRAM_WEBHOOK_FIELD_ALIASES)) expect(instagramWebhookFieldSchema.safeParse(field).success).toBe(true);
    expect(instagramWebhookFieldSchema.safeParse('messaging_reactions').success).toBe(false);
  });

  it('keeps the window, throttling and token codes of the reference table', () => {
    expect(INSTAGRAM_GRAPH_ERRORS.outsideWindow).toMatchObject({ code: 10, subcode: 2534022 });
    expect(INSTAGRAM_GRAPH_ERRORS.outsideWindowLegacy).toMatchObject({ code: 10, subcode: 2018278 });
    expect(INSTAGRAM_GRAPH_ERRORS.messagingRateLimit).toMatchObject({ code: 613, subcode: 2534040, transient: true });
    expect(INSTAGRAM_GRAPH_ERRORS.tokenExpired).toMatchObject({ code: 190, subcode: 463 });
    expect(INSTAGRAM_GRAPH_ERRORS.noMatchingInstagramUser).toMatchObject({ code: 100, subcode: 2534014 });
  });

  it('parses a Graph error envelope and rejects the OAuth endpoint shape as one', () => {
    const graph = { error: { message: 'x', type: 'OAuthException', code: 190, error_subcode: 463, fbtrace_id: 'A' } };
    expect(graphErrorBodySchema.safeParse(graph).success).toBe(true);
    const oauth = { error_type: 'OAuthException', code: 400, error_message: 'Matching code was not found or was already used' };
    expect(graphErrorBodySchema.safeParse(oauth).success).toBe(false);
    expect(instagramOAuthErrorBodySchema.safeParse(oauth).success).toBe(true);
  });
});
