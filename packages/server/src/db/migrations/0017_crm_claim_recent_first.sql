-- Hand-written: the CRM claim (0015) takes what came due in the last second first, then what waited longer: at each
-- endpoint, its new deliveries and retries just due go ahead of a backlog (an endpoint back after an outage, its
-- waiting deliveries released due at their creation times). Before, a claim took them by due time alone, so in the
-- split topology (`serve --no-workers` writes every new delivery unclaimed, a worker claims it) the events arriving
-- while a backlog drained waited for all of it: bench:crm's outage run, split, p99 1.7 s in the first seconds after
-- the CRM's return, 6.4 s with the backlog paced (CRM_BACKLOG_PER_SECOND). Within each part the order is as before
-- (due time, then id). The newer part is read whole (a second's worth); the older one only as far as the limit.
DROP FUNCTION IF EXISTS crm_claim_due(timestamptz, timestamptz, integer, integer, uuid, integer, uuid[], integer[]);--> statement-breakpoint
CREATE OR REPLACE FUNCTION crm_claim_due(p_now timestamptz, p_lease_until timestamptz, p_limit integer, p_per_endpoint integer,
  p_process uuid, p_dead_after_ms integer, p_own_accounts uuid[], p_own_busy integer[])
RETURNS TABLE (
  id text, account_id uuid, attempt_count integer, payload jsonb, created_at timestamptz, status text,
  crm_webhook_url text, crm_disabled_at timestamptz, crm_failing_since timestamptz, crm_probe_at timestamptz,
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
      CASE WHEN a.crm_failing_since IS NULL THEN p_per_endpoint ELSE least(p_per_endpoint, 1) END - coalesce((SELECT sum(own.n)::integer FROM own WHERE own.acc = a.id), 0) - (
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
      AND (a.crm_failing_since IS NULL OR a.crm_probe_at IS NULL OR a.crm_probe_at <= p_now)
      AND EXISTS (
        SELECT 1 FROM crm_deliveries d
        WHERE d.account_id = a.id AND d.status = 'pending' AND d.next_attempt_at <= p_now
      )
    ORDER BY random()
  ),
  recent AS (
    SELECT e.acc, p.pid FROM eligible e
    CROSS JOIN LATERAL (
      SELECT d.id AS pid FROM crm_deliveries d
      WHERE d.account_id = e.acc AND d.status = 'pending' AND d.next_attempt_at <= p_now AND d.next_attempt_at > p_now - interval '1 second'
        AND (d.locked_until IS NULL OR d.locked_until <= p_now
          OR (d.locked_by IS NOT NULL AND d.locked_by <> p_process AND NOT EXISTS (
            SELECT 1 FROM processes pr WHERE pr.id = d.locked_by AND pr.heartbeat_at >= now() - make_interval(secs => p_dead_after_ms / 1000.0))))
      ORDER BY d.next_attempt_at, d.id
      LIMIT least(greatest(e.room, 0), p_limit)
      FOR UPDATE SKIP LOCKED
    ) p
  ),
  older AS (
    SELECT p.pid FROM eligible e
    CROSS JOIN LATERAL (
      SELECT d.id AS pid FROM crm_deliveries d
      WHERE d.account_id = e.acc AND d.status = 'pending' AND d.next_attempt_at <= p_now - interval '1 second'
        AND (d.locked_until IS NULL OR d.locked_until <= p_now
          OR (d.locked_by IS NOT NULL AND d.locked_by <> p_process AND NOT EXISTS (
            SELECT 1 FROM processes pr WHERE pr.id = d.locked_by AND pr.heartbeat_at >= now() - make_interval(secs => p_dead_after_ms / 1000.0))))
      ORDER BY d.next_attempt_at, d.id
      LIMIT least(greatest(e.room - (SELECT count(*)::integer FROM recent r WHERE r.acc = e.acc), 0), p_limit)
      FOR UPDATE SKIP LOCKED
    ) p
  ),
  picked AS (
    (SELECT r.pid FROM recent r LIMIT p_limit)
    UNION ALL
    (SELECT o.pid FROM older o)
    LIMIT p_limit
  )
  UPDATE crm_deliveries d
  SET locked_until = p_lease_until, locked_by = p_process, attempt_count = d.attempt_count + 1, last_attempt_at = p_now
  FROM picked, accounts a
  WHERE d.id = picked.pid AND a.id = d.account_id
  RETURNING d.id, d.account_id, d.attempt_count, d.payload, d.created_at, d.status, a.crm_webhook_url, a.crm_disabled_at,
    a.crm_failing_since, a.crm_probe_at, a.webhook_secret, a.webhook_secret_previous, a.webhook_secret_rotated_at;
END
$$;
