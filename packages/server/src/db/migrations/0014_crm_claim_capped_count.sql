-- Hand-written: the CRM claim (0013), its count of other processes' attempts under way read by index scans that stop
-- at the cap. The count reads crm_deliveries_account_locked_idx, which holds an entry for each delivery handed over
-- (its row is written leased, then released) until a vacuum. The planner took a bitmap scan for it, and a bitmap scan
-- visits every entry's row and never marks a dead one: at 500 events/s a claim visited up to 1,375 heap pages for the
-- 0 to 4 rows it counted (auto_explain, bench:crm), 6.5 ms a call and the largest share of the database's time. An
-- index scan marks the entries of rows dead to every transaction, so the next claims skip them without a visit
-- (`SET enable_bitmapscan = off`, for this function only), and the count stops at the cap (LIMIT p_per_endpoint:
-- more cannot make the room less than none).
DROP FUNCTION IF EXISTS crm_claim_due(timestamptz, timestamptz, integer, integer, uuid, integer, uuid[], integer[]);--> statement-breakpoint
CREATE OR REPLACE FUNCTION crm_claim_due(p_now timestamptz, p_lease_until timestamptz, p_limit integer, p_per_endpoint integer,
  p_process uuid, p_dead_after_ms integer, p_own_accounts uuid[], p_own_busy integer[])
RETURNS TABLE (
  id text, account_id uuid, attempt_count integer, payload jsonb, created_at timestamptz, status text,
  crm_webhook_url text, crm_disabled_at timestamptz, crm_failing_since timestamptz,
  webhook_secret text, webhook_secret_previous text, webhook_secret_rotated_at timestamptz
)
LANGUAGE plpgsql VOLATILE SET enable_bitmapscan = off AS $$
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
        SELECT count(*)::integer FROM (
          SELECT 1 FROM crm_deliveries busy
          WHERE busy.account_id = a.id AND busy.locked_until IS NOT NULL AND busy.locked_until > p_now
            AND busy.locked_by IS DISTINCT FROM p_process
            AND (busy.locked_by IS NULL OR EXISTS (
              SELECT 1 FROM processes p WHERE p.id = busy.locked_by AND p.heartbeat_at >= now() - make_interval(secs => p_dead_after_ms / 1000.0)))
          LIMIT greatest(p_per_endpoint, 0)
        ) busy
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
