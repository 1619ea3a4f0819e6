import type { Db } from '../../db/client.ts';
import type { RecoveryTask } from '../../jobs/process-liveness.ts';
import { recordAll, type InboxEventSink } from '../../events/inbox-events.ts';
import type { SendingRepository } from './sending.repository.ts';

export const INTERRUPTED_SEND_MESSAGE = 'The send was interrupted; waiting for confirmation.';

/**
 * Sends whose process stopped mid-call become `unknown` within seconds (the CRM and the inbox hear
 * `message.updated`); the unknown-outcome settlement then finds out from Meta whether they went out.
 */
export function createSendRecovery(deps: { db: Db; repo: SendingRepository; sinks: readonly InboxEventSink[]; now: () => Date }): RecoveryTask {
  return {
    name: 'interrupted sends',
    async run(deadAfterMs) {
      return deps.db.transaction(async (tx) => {
        const rows = await deps.repo.markUnknownWhereSenderStopped(deadAfterMs, INTERRUPTED_SEND_MESSAGE, tx);
        if (rows.length > 0) {
          const occurredAt = deps.now();
          await recordAll(
            deps.sinks,
            tx,
            rows.map((r) => ({ type: 'message.updated' as const, accountId: r.accountId, conversationId: r.conversationId, messageId: r.id, occurredAt })),
          );
        }
        return rows.length;
      });
    },
  };
}
