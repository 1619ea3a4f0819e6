import { describe, expect, it } from 'vitest';
import type { RealtimeEvent } from '@threadline/contract';
import { conversation } from '../test-helpers.ts';
import { isMentionOfMe, mentionText, notificationText, shouldNotify } from './notifier.ts';

const event = (type: string): RealtimeEvent => ({ id: 1, type, account_id: 'acc-1', conversation_id: 'c1', message_id: 'm1', data: {} });

describe('which live events notify', () => {
  const me = { userId: 'u1', looking: null };
  it('a customer message in a conversation that is mine or nobody\'s', () => {
    expect(shouldNotify(event('message.received'), conversation({ id: 'c1', assignee_user_id: null }), me)).toBe(true);
    expect(shouldNotify(event('message.received'), conversation({ id: 'c1', assignee_user_id: 'u1' }), me)).toBe(true);
  });
  it('not a teammate\'s conversation, nor what I do myself, nor the conversation I am looking at', () => {
    expect(shouldNotify(event('message.received'), conversation({ id: 'c1', assignee_user_id: 'u2' }), me)).toBe(false);
    expect(shouldNotify(event('message.sent'), conversation({ id: 'c1' }), me)).toBe(false);
    expect(shouldNotify(event('conversation.labels_changed'), conversation({ id: 'c1' }), me)).toBe(false);
    expect(shouldNotify(event('message.received'), conversation({ id: 'c1' }), { userId: 'u1', looking: 'c1' })).toBe(false);
  });
  it('says who wrote and what', () => {
    expect(notificationText(conversation({ id: 'c1' }))).toEqual({ title: 'Jane Doe wrote', body: 'Hi' });
  });
  it('an @mention of me in a teammate\'s note, never in my own, nor a mention of someone else', () => {
    const mention = (user: string, by: string): RealtimeEvent => ({ ...event('note.mentioned'), data: { note_id: 'n1', user_id: user, by_user_id: by } });
    expect(isMentionOfMe(mention('u1', 'u2'), 'u1')).toBe(true);
    expect(isMentionOfMe(mention('u1', 'u1'), 'u1')).toBe(false);
    expect(isMentionOfMe(mention('u2', 'u1'), 'u1')).toBe(false);
    expect(isMentionOfMe(event('note.created'), 'u1')).toBe(false);
    expect(mentionText(conversation({ id: 'c1' }))).toEqual({ title: 'You were mentioned in a note', body: 'In the conversation with Jane Doe' });
  });
});
