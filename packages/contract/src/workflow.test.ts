import { describe, expect, it } from 'vitest';
import { conversationStatusBodySchema, mentionedUsernames, noteBodySchema } from './workflow.ts';

describe('mentions in a note', () => {
  it('finds @usernames, lower-cased and once each, not e-mail addresses nor a trailing full stop', () => {
    expect(mentionedUsernames('@Mia please call back, @mia and @tom.k. Mail ana@shop.com')).toEqual(['mia', 'tom.k']);
    expect(mentionedUsernames('(@vic) @vic')).toEqual(['vic']);
    expect(mentionedUsernames('no one')).toEqual([]);
  });
});

describe('status and note bodies', () => {
  it('needs snoozed_until with snoozed, and only then', () => {
    expect(conversationStatusBodySchema.safeParse({ status: 'snoozed' }).success).toBe(false);
    expect(conversationStatusBodySchema.safeParse({ status: 'done', snoozed_until: '2030-01-01T00:00:00Z' }).success).toBe(false);
    expect(conversationStatusBodySchema.safeParse({ status: 'snoozed', snoozed_until: '2030-01-01T00:00:00Z' }).success).toBe(true);
  });

  it('refuses an empty note and one of 10,000 characters', () => {
    expect(noteBodySchema.safeParse({ text: '   ' }).success).toBe(false);
    expect(noteBodySchema.safeParse({ text: 'x'.repeat(10_000) }).success).toBe(false);
    expect(noteBodySchema.safeParse({ text: 'x'.repeat(5000) }).success).toBe(true);
  });
});
