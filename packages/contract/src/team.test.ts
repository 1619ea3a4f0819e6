import { describe, expect, it } from 'vitest';
import { createCannedReplyRequestSchema, fillCannedReply, unknownCannedVariables } from './team.ts';

describe('canned reply templates', () => {
  it('fills the known variables, with or without spaces, and leaves a missing value empty', () => {
    const text = 'Hi {{contact.name}} (@{{ contact.username }}), {{agent.name}} here.';
    expect(fillCannedReply(text, { 'contact.name': 'Ana', 'contact.username': 'ana.s', 'agent.name': 'Rui' })).toBe('Hi Ana (@ana.s), Rui here.');
    expect(fillCannedReply(text, { 'contact.name': null, 'contact.username': null, 'agent.name': 'Rui' })).toBe('Hi  (@), Rui here.');
  });

  it('names the variables it does not know, and a template naming one is refused', () => {
    expect(unknownCannedVariables('Hi {{contact.email}} {{agent.name}} {{ order.id }}')).toEqual(['contact.email', 'order.id']);
    const parsed = createCannedReplyRequestSchema.safeParse({ shortcut: 'hi', text: 'Hi {{contact.email}}' });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.message).toContain('unknown variable {{contact.email}}');
  });

  it('keeps shortcuts simple and lower-case', () => {
    expect(createCannedReplyRequestSchema.parse({ shortcut: 'Shipping-EU', text: 'We ship in 3 days.' }).shortcut).toBe('shipping-eu');
    expect(createCannedReplyRequestSchema.safeParse({ shortcut: '/ship', text: 'x' }).success).toBe(false);
    expect(createCannedReplyRequestSchema.safeParse({ shortcut: 'ship', text: 'é'.repeat(501) }).success).toBe(false);
  });
});
