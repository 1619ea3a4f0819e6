CREATE INDEX "crm_deliveries_account_first_due_idx" ON "crm_deliveries" USING btree ("account_id","next_attempt_at","id") WHERE "crm_deliveries"."status" = 'pending' and "crm_deliveries"."attempt_count" = 0;--> statement-breakpoint
-- First attempts before retries, per endpoint (issue 24: after an outage, new events are not queued behind the
-- released backlog). Each endpoint's room is filled with the deliveries never tried yet (due, in order), then with
-- the others (due, in order): a backlog still drains in its own order, and a new event waits at most one claim.
CREATE OR REPLACE FUNCTION crm_claim_due(p_now timestamptz, p_lease_until timestamptz, p_limit integer, p_per_endpoint integer,
  p_process uuid, p_dead_after_ms integer)
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
          AND (busy.locked_by IS NULL OR busy.locked_by = p_process OR EXISTS (
            SELECT 1 FROM processes p WHERE p.id = busy.locked_by AND p.heartbeat_at >= now() - make_interval(secs => p_dead_after_ms / 1000.0)))
      ) AS room
    FROM accounts a
    WHERE a.crm_webhook_url IS NOT NULL AND a.crm_disabled_at IS NULL
      AND EXISTS (
        SELECT 1 FROM crm_deliveries d
        WHERE d.account_id = a.id AND d.status = 'pending' AND d.next_attempt_at <= p_now
      )
    ORDER BY random()
  ),
  first_tries AS (
    SELECT e.acc, p.pid FROM eligible e
    CROSS JOIN LATERAL (
      SELECT d.id AS pid FROM crm_deliveries d
      WHERE d.account_id = e.acc AND d.status = 'pending' AND d.attempt_count = 0 AND d.next_attempt_at <= p_now
        AND (d.locked_until IS NULL OR d.locked_until <= p_now
          OR (d.locked_by IS NOT NULL AND d.locked_by <> p_process AND NOT EXISTS (
            SELECT 1 FROM processes pr WHERE pr.id = d.locked_by AND pr.heartbeat_at >= now() - make_interval(secs => p_dead_after_ms / 1000.0))))
      ORDER BY d.next_attempt_at, d.id
      LIMIT greatest(e.room, 0)
      FOR UPDATE SKIP LOCKED
    ) p
  ),
  retries AS (
    SELECT p.pid FROM eligible e
    CROSS JOIN LATERAL (
      SELECT d.id AS pid FROM crm_deliveries d
      WHERE d.account_id = e.acc AND d.status = 'pending' AND d.attempt_count > 0 AND d.next_attempt_at <= p_now
        AND (d.locked_until IS NULL OR d.locked_until <= p_now
          OR (d.locked_by IS NOT NULL AND d.locked_by <> p_process AND NOT EXISTS (
            SELECT 1 FROM processes pr WHERE pr.id = d.locked_by AND pr.heartbeat_at >= now() - make_interval(secs => p_dead_after_ms / 1000.0))))
      ORDER BY d.next_attempt_at, d.id
      LIMIT greatest(e.room - (SELECT count(*)::integer FROM first_tries f WHERE f.acc = e.acc), 0)
      FOR UPDATE SKIP LOCKED
    ) p
  ),
  picked AS (
    SELECT pid FROM (SELECT pid, 0 AS rank FROM first_tries UNION ALL SELECT pid, 1 AS rank FROM retries) both_kinds
    ORDER BY rank
    LIMIT p_limit
  )
  UPDATE crm_deliveries d
  SET locked_until = p_lease_until, locked_by = p_process, attempt_count = d.attempt_count + 1, last_attempt_at = p_now
  FROM picked, accounts a
  WHERE d.id = picked.pid AND a.id = d.account_id
  RETURNING d.id, d.account_id, d.attempt_count, d.payload, d.created_at, d.status, a.crm_webhook_url, a.crm_disabled_at,
    a.crm_failing_since, a.webhook_secret, a.webhook_secret_previous, a.webhook_secret_rotated_at;
END
$$;
