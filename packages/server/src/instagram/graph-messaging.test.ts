import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { classifyGraphError } from './graph-client.ts';
import {
  attachmentMessage, imagesMessage, likeHeartMessage, quickRepliesMessage, reactBody, senderActionBody, textMessage,
  unreactBody,
} from './graph-send-bodies.ts';
import type { SendBody } from './graph-send-bodies.ts';
import { connectedWorld, startSim } from './graph-test-world.ts';
import type { SimHarness } from './graph-test-world.ts';

let h: SimHarness;
let w: Awaited<ReturnType<typeof connectedWorld>>;
beforeEach(async () => {
  h = await startSim();
  w = await connectedWorld(h);
});
afterEach(async () => h.close());

const IMG = 'https://cdn.example.com/red-shirt.jpg';

async function sentBodies() {
  return (await h.control.outbox({ accountId: w.account.igId })).map((entry) => entry.body);
}

describe('sendMessage', () => {
  it('sends a text reply and returns the recipient and the new mid', async () => {
    const result = await w.client.sendMessage(w.token, 'me', textMessage(w.customer.igsid, 'Yes, size M and L.'));
    expect(result.recipientId).toBe(w.customer.igsid);
    expect(result.messageId).toMatch(/\S+/);
    expect(result.usage.app?.callCount).toEqual(expect.any(Number));
    expect(result.usage.businessUseCase[0]).toMatchObject({ id: w.account.igId, type: 'instagram' });
    expect(await sentBodies()).toEqual([{ recipient: { id: w.customer.igsid }, message: { text: 'Yes, size M and L.' } }]);
  });

  it('sends to the account by its IG_ID as well as by me', async () => {
    const result = await w.client.sendMessage(w.token, w.account.igId, textMessage(w.customer.igsid, 'hello'));
    expect(result.recipientId).toBe(w.customer.igsid);
  });

  it('delivers every message kind of the Send API', async () => {
    const bodies: SendBody[] = [
      imagesMessage(w.customer.igsid, [IMG, 'https://cdn.example.com/blue-shirt.jpg']),
      attachmentMessage(w.customer.igsid, 'audio', 'https://cdn.example.com/voice.m4a'),
      attachmentMessage(w.customer.igsid, 'video', 'https://cdn.example.com/clip.mp4'),
      attachmentMessage(w.customer.igsid, 'file', 'https://cdn.example.com/invoice.pdf'),
      likeHeartMessage(w.customer.igsid),
      quickRepliesMessage(w.customer.igsid, 'Which size?', [
        { content_type: 'text', title: 'M', payload: 'SIZE_M' },
        { content_type: 'user_email' },
      ]),
      textMessage(w.customer.igsid, 'Replying to you', { replyTo: w.firstMid }),
      textMessage(w.customer.igsid, 'A human here', { humanAgent: true }),
    ];
    for (const body of bodies) {
      const result = await w.client.sendMessage(w.token, 'me', body);
      expect(result.messageId).toMatch(/\S+/);
    }
    expect(await sentBodies()).toEqual(bodies);
  });

  it('sends reactions and sender actions, which Meta answers without a mid', async () => {
    const bodies: SendBody[] = [
      reactBody(w.customer.igsid, w.firstMid, 'love'),
      unreactBody(w.customer.igsid, w.firstMid),
      senderActionBody(w.customer.igsid, 'typing_on'),
      senderActionBody(w.customer.igsid, 'typing_off'),
      senderActionBody(w.customer.igsid, 'mark_seen'),
    ];
    for (const body of bodies) {
      expect(await w.client.sendMessage(w.token, 'me', body)).toMatchObject({ recipientId: w.customer.igsid, messageId: null });
    }
    expect(await sentBodies()).toEqual(bodies);
  });

  it('classifies a reply after the 24-hour window as window_closed, for both documented subcodes', async () => {
    await h.control.advanceClock({ advanceHours: 25 });
    for (const subcode of [2534022, 2018278] as const) {
      await h.control.setVariants({ windowErrorSubcode: subcode });
      const error = await w.client.sendMessage(w.token, 'me', textMessage(w.customer.igsid, 'late')).catch((e: unknown) => e);
      expect(error).toMatchObject({ failure: 'graph', code: 10, subcode, userMessage: expect.any(String) });
      expect(classifyGraphError(error)).toBe('window_closed');
    }
  });

  it('still delivers a HUMAN_AGENT reply within 7 days', async () => {
    await h.control.advanceClock({ advanceDays: 3 });
    const body = textMessage(w.customer.igsid, 'Sorry for the wait', { humanAgent: true });
    expect((await w.client.sendMessage(w.token, 'me', body)).messageId).toMatch(/\S+/);
  });

  it('classifies an unknown recipient as permanent', async () => {
    const error = await w.client.sendMessage(w.token, 'me', textMessage('1199999999999999', 'hi')).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 100, subcode: 2534014 });
    expect(classifyGraphError(error)).toBe('permanent');
  });

  it('classifies a recipient who blocked the account as recipient_unavailable', async () => {
    await h.control.blockAccount(w.customer.igsid, w.account.igId);
    const error = await w.client.sendMessage(w.token, 'me', textMessage(w.customer.igsid, 'hi')).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 551, subcode: 1545041 });
    expect(classifyGraphError(error)).toBe('recipient_unavailable');
  });

  it('classifies an owner who disabled connected tools as permanent', async () => {
    await h.control.updateAccount(w.account.igId, { messagingAccess: 'disabled_by_owner' });
    const error = await w.client.sendMessage(w.token, 'me', textMessage(w.customer.igsid, 'hi')).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 200, subcode: 2534041 });
    expect(classifyGraphError(error)).toBe('permanent');
  });
});

describe('send body builders', () => {
  it('refuses a text over 1000 UTF-8 bytes, counting bytes not characters', () => {
    expect(() => textMessage('1', 'é'.repeat(500))).not.toThrow();
    expect(() => textMessage('1', 'é'.repeat(501))).toThrow(RangeError);
    expect(() => textMessage('1', '  ')).toThrow(RangeError);
  });

  it('refuses more than 10 images, more than 13 quick replies and quick-reply titles over 20 characters', () => {
    expect(() => imagesMessage('1', Array.from({ length: 11 }, () => IMG))).toThrow(RangeError);
    expect(() => imagesMessage('1', [])).toThrow(RangeError);
    const reply = { content_type: 'text' as const, title: 'ok', payload: 'OK' };
    expect(() => quickRepliesMessage('1', 'q', Array.from({ length: 14 }, () => reply))).toThrow(RangeError);
    expect(() => quickRepliesMessage('1', 'q', [{ ...reply, title: 'x'.repeat(21) }])).toThrow(RangeError);
  });

  it('tags a human-agent message with both messaging_type and tag, and addresses a comment for a private reply', () => {
    expect(textMessage({ comment_id: '178' }, 'Thanks!', { humanAgent: true, replyTo: 'mid.1' })).toEqual({
      recipient: { comment_id: '178' },
      message: { text: 'Thanks!' },
      messaging_type: 'MESSAGE_TAG',
      tag: 'HUMAN_AGENT',
      reply_to: { mid: 'mid.1' },
    });
  });
});
