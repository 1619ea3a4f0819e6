-- The CRM dispatcher's claim in one round trip. Claims are serialised across processes by a transaction-scoped
-- advisory lock, so the per-endpoint count each claim reads is not stale; inside this (volatile) function the
-- claim statement takes its snapshot after the lock is held, which a single SQL statement could not do.
CREATE OR REPLACE FUNCTION crm_claim_due(p_now timestamptz, p_lease_until timestamptz, p_limit integer, p_per_endpoint integer)
RETURNS TABLE (
  id text, account_id uuid, attempt_count integer, payload jsonb, created_at timestamptz, status text,
  crm_webhook_url text, crm_disabled_at timestamptz, crm_failing_since timestamptz,
  webhook_secret text, webhook_secret_previous text, webhook_secret_rotated_at timestamptz
)
LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
BEGIN
  PERFORM pg_advisory_xact_lock(6517357); -- 0x63726d, "crm"
  RETURN QUERY
  WITH eligible AS (
    SELECT a.id AS acc,
      p_per_endpoint - (
        SELECT count(*)::integer FROM crm_deliveries busy
        WHERE busy.account_id = a.id AND busy.locked_until IS NOT NULL AND busy.locked_until > p_now
      ) AS room
    FROM accounts a
    WHERE a.crm_webhook_url IS NOT NULL AND a.crm_disabled_at IS NULL
      AND EXISTS (
        SELECT 1 FROM crm_deliveries d
        WHERE d.account_id = a.id AND d.status = 'pending' AND d.next_attempt_at <= p_now
      )
    ORDER BY random()
  ),
  picked AS (
    SELECT p.pid FROM eligible e
    CROSS JOIN LATERAL (
      SELECT d.id AS pid FROM crm_deliveries d
      WHERE d.account_id = e.acc AND d.status = 'pending' AND d.next_attempt_at <= p_now
        AND (d.locked_until IS NULL OR d.locked_until <= p_now)
      ORDER BY d.next_attempt_at, d.id
      LIMIT greatest(e.room, 0)
      FOR UPDATE SKIP LOCKED
    ) p
    LIMIT p_limit
  )
  UPDATE crm_deliveries d
  SET locked_until = p_lease_until, attempt_count = d.attempt_count + 1, last_attempt_at = p_now
  FROM picked, accounts a
  WHERE d.id = picked.pid AND a.id = d.account_id
  RETURNING d.id, d.account_id, d.attempt_count, d.payload, d.created_at, d.status, a.crm_webhook_url, a.crm_disabled_at,
    a.crm_failing_since, a.webhook_secret, a.webhook_secret_previous, a.webhook_secret_rotated_at;
END
$$;
