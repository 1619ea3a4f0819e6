import type { Db } from '../../db/client.ts';
import { auditLog } from '../../db/schema/index.ts';
import type { Logger } from '../../shared/logger.ts';

export type AuditEntry = {
  action: string;
  actorUserId?: string | null;
  actorApiKeyId?: string | null;
  accountId?: string | null;
  target?: string;
  details?: Record<string, unknown>;
  ip?: string;
  requestId?: string;
};

/** Where a change came from (the request), for the audit log. */
export type ChangeContext = Pick<AuditEntry, 'ip' | 'requestId'>;

/** Appends to the audit log; an audit write never fails the action it records (it is logged instead). */
export function createAuditLog(db: Db, log: Logger) {
  return async (entry: AuditEntry, tx: Db = db): Promise<void> => {
    try {
      await tx.insert(auditLog).values({
        action: entry.action,
        actorUserId: entry.actorUserId ?? null,
        actorApiKeyId: entry.actorApiKeyId ?? null,
        accountId: entry.accountId ?? null,
        target: entry.target,
        details: entry.details,
        ip: entry.ip,
        requestId: entry.requestId,
      });
    } catch (error) {
      log.warn({ err: error, action: entry.action }, 'audit log write failed');
    }
  };
}
export type AuditLog = ReturnType<typeof createAuditLog>;
