-- Hand-written: the CRM claim (0005) counts the caller's own deliveries to each endpoint as the caller says
-- (p_own_accounts, p_own_busy: its attempts under way and those it holds for a free slot), not by their leases. A
-- lease stays in the row until the attempt's outcome is written, which is after the endpoint has answered: counted
-- by leases, a process draining a backlog found its endpoints full of answered attempts and claimed a few at a time
-- (bench:crm, outage run: the backlog of a 30 s outage drained at 400 deliveries/s). Other processes' claims still
-- count by their leases, as before: the cap holds across processes.
DROP FUNCTION IF EXISTS crm_claim_due(timestamptz, timestamptz, integer, integer, uuid, integer);--> statement-breakpoint
CREATE OR REPLACE FUNCTION crm_claim_due(p_now timestamptz, p_lease_until timestamptz, p_limit integer, p_per_endpoint integer,
  p_process uuid, p_dead_after_ms integer, p_own_accounts uuid[], p_own_busy integer[])
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
  WITH own AS (
    SELECT o.acc, o.n FROM unnest(p_own_accounts, p_own_busy) AS o(acc, n)
  ),
  eligible AS (
    SELECT a.id AS acc,
      p_per_endpoint - coalesce((SELECT sum(own.n)::integer FROM own WHERE own.acc = a.id), 0) - (
        SELECT count(*)::integer FROM crm_deliveries busy
        WHERE busy.account_id = a.id AND busy.locked_until IS NOT NULL AND busy.locked_until > p_now
          AND busy.locked_by IS DISTINCT FROM p_process
          AND (busy.locked_by IS NULL OR EXISTS (
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
  picked AS (
    SELECT p.pid FROM eligible e
    CROSS JOIN LATERAL (
      SELECT d.id AS pid FROM crm_deliveries d
      WHERE d.account_id = e.acc AND d.status = 'pending' AND d.next_attempt_at <= p_now
        AND (d.locked_until IS NULL OR d.locked_until <= p_now
          OR (d.locked_by IS NOT NULL AND d.locked_by <> p_process AND NOT EXISTS (
            SELECT 1 FROM processes pr WHERE pr.id = d.locked_by AND pr.heartbeat_at >= now() - make_interval(secs => p_dead_after_ms / 1000.0))))
      ORDER BY d.next_attempt_at, d.id
      LIMIT greatest(e.room, 0)
      FOR UPDATE SKIP LOCKED
    ) p
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
