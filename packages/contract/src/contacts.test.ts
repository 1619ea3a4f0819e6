import { describe, expect, it } from 'vitest';
import { crmRecordUrlTemplateSchema, fillCrmRecordUrl } from './contacts.ts';

describe('the CRM record link', () => {
  it('fills the contact into the template, URL-encoded', () => {
    expect(fillCrmRecordUrl('https://crm.example.com/c?ig={{contact.igsid}}&u={{ contact.username }}', { igsid: '42', username: 'a&b' })).toBe(
      'https://crm.example.com/c?ig=42&u=a%26b',
    );
  });
  it('gives no link when the template needs a username the contact lacks', () => {
    expect(fillCrmRecordUrl('https://crm.example.com/u/{{contact.username}}', { igsid: '42', username: null })).toBeNull();
  });
  it('accepts only http(s) templates with known variables', () => {
    expect(crmRecordUrlTemplateSchema.safeParse('https://crm.example.com/{{contact.igsid}}').success).toBe(true);
    expect(crmRecordUrlTemplateSchema.safeParse('javascript:alert({{contact.igsid}})').success).toBe(false);
    expect(crmRecordUrlTemplateSchema.safeParse('https://crm.example.com/{{contact.email}}').error?.issues[0]?.message).toContain('unknown variable {{contact.email}}');
  });
});
