import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer } from '../../../../test/app.ts';
import { crmDeliveryAttempts } from '../../../db/schema/index.ts';
import { createCrmFixture, receiverPool, type CrmFixture } from '../crm-test-helpers.ts';

/** What the delivery log keeps of the attempts: the start of an answer, and a success in its delivery's row. */
describe('CRM delivery log', () => {
  let f: CrmFixture;
  const receivers = receiverPool();
  const receiver = receivers.start;
  beforeAll(async () => {
    f = await createCrmFixture();
  });
  afterAll(async () => {
    await receivers.closeAll();
    await f.t.close();
  });

  it('reads at most 64 KiB of a huge answer and keeps 1 KB of it', async () => {
    const crm = await receiver((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('x'.repeat(5 * 1024 * 1024));
    });
    await f.setUrl(`${crm.url}/huge`);
    await f.recordMessage();
    await f.drain();
    const [done] = (await f.deliveries()).filter((d) => d.status === 'succeeded').slice(-1);
    // a success is kept in its delivery, with no attempt row
    expect(done?.lastResponseExcerpt).toHaveLength(1024);
    expect(await f.db.select().from(crmDeliveryAttempts).where(eq(crmDeliveryAttempts.deliveryId, done?.id ?? ''))).toEqual([]);
  });

  it('keeps a success in the delivery log when a person sends that delivery again', async () => {
    let answer = 200;
    const crm = await receiver((_req, res) => res.writeHead(answer).end(`answered ${answer}`));
    await f.setUrl(`${crm.url}/again`);
    await f.recordMessage();
    await f.drain();
    const id = (await f.deliveries()).at(-1)?.id ?? '';
    const log = async () => {
      const res = await f.t.app.inject({ method: 'GET', url: `/api/v1/accounts/${f.accountId}/crm/deliveries?limit=1`, headers: bearer(f.ownerToken) });
      const [listed] = res.json().deliveries;
      expect(listed.id).toBe(id);
      return (listed.attempts as { status_code: number; response_excerpt: string; duration_ms: number; error: null }[]).map((a) => [a.status_code, a.response_excerpt, a.error]);
    };
    expect(await log()).toEqual([[200, 'answered 200', null]]);
    answer = 202;
    const retry = await f.t.app.inject({ method: 'POST', url: `/api/v1/accounts/${f.accountId}/crm/deliveries/${id}/retry`, headers: bearer(f.ownerToken) });
    expect(retry.statusCode).toBe(200);
    // sent again: the first success became an attempt row, the second is kept in the delivery
    expect(await log()).toEqual([[200, 'answered 200', null]]);
    await f.drain();
    expect(await log()).toEqual([
      [200, 'answered 200', null],
      [202, 'answered 202', null],
    ]);
  });
});
