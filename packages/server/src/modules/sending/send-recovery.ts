import type { Db } from '../../db/client.ts';
import type { RecoveryTask } from '../../jobs/process-liveness.ts';
import { recordAll, type InboxUnitsOfWork } from '../../events/inbox-events.ts';
import type { SendingRepository } from './sending.repository.ts';

export const INTERRUPTED_SEND_MESSAGE = 'The send was interrupted; waiting for confirmation.';

/**
 * Sends whose process stopped mid-call become `unknown` within seconds (the CRM and the inbox hear
 * `message.updated`); the unknown-outcome settlement then finds out from Meta whether they went out.
 */
export function createSendRecovery(deps: { db: Db; repo: SendingRepository; units: InboxUnitsOfWork; now: () => Date }): RecoveryTask {
  return {
    name: 'interrupted sends',
    async run(deadAfterMs) {
      return deps.units.run(async (uow) => {
        const { tx } = uow;
        const rows = await deps.repo.markUnknownWhereSenderStopped(deadAfterMs, INTERRUPTED_SEND_MESSAGE, tx);
        if (rows.length > 0) {
          const occurredAt = deps.now();
          await recordAll(uow, rows.map((r) => ({ type: 'message.updated' as const, accountId: r.accountId, conversationId: r.conversationId, messageId: r.id, occurredAt })),
          );
        }
        return rows.length;
      });
    },
  };
}
