import type { MessageDetail } from '../../instagram/graph-client.ts';
import type { MessageEvent } from '../../instagram/webhook-payload.ts';

/**
 * A message read from the Conversations API (reconciliation, the lookup of an edit's text) as the webhook event it
 * would have been, so it is stored exactly like one; null when the answer lacks its parties or its time.
 */
export function messageEventFromDetail(accountIgId: string, d: MessageDetail, origin: 'reconciled' | 'looked_up'): MessageEvent | null {
  if (!d.from || !d.createdTime) return null;
  const outbound = d.from.id === accountIgId;
  const other = outbound ? d.to[0]?.id : d.from.id;
  if (!other) return null;
  const timestamp = Date.parse(d.createdTime.replace(/\+0000$/, 'Z'));
  if (Number.isNaN(timestamp)) return null;
  return {
    type: 'message',
    source: 'messaging',
    accountIgId,
    senderId: d.from.id,
    recipientId: outbound ? other : accountIgId,
    contactIgsid: other,
    direction: outbound ? 'outbound' : 'inbound',
    timestamp,
    raw: { [origin]: true },
    path: origin,
    mid: d.id,
    ...(d.text ? { text: d.text } : {}),
    attachments: d.attachments.map((a) => ({ type: a.kind === 'other' ? 'file' : a.kind, ...(a.url ? { url: a.url } : {}), payload: { url: a.url } })),
    isEcho: outbound,
    isSelf: false,
    isUnsupported: d.isUnsupported,
  };
}
