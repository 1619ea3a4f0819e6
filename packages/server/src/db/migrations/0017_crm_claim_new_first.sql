ALTER TABLE "accounts" ADD COLUMN "crm_recovered_at" timestamp with time zone;--> statement-breakpoint
-- Hand-written from here: the CRM claim (0015) takes, at each endpoint, its new deliveries first, then the rest by
-- due time. New: never attempted, due within the last second (written unclaimed by `serve --no-workers`, whose worker
-- claims every new delivery; or beyond a process's room), and written after the endpoint last came back
-- (`crm_recovered_at`: a probe's success, or its URL set). The rest: a backlog (what waited out an outage, released
-- due at its creation times, or was written while the endpoint failed), retries. Before, a claim took them by due
-- time alone, so in the split topology the events arriving while a backlog drained waited for all of it: bench:crm's
-- outage run, split, p99 1.7 s in the first seconds after the CRM's return, 6.4 s with the backlog paced
-- (CRM_BACKLOG_PER_SECOND). Each part keeps the order of before (due time, then id), so a backlog still goes out in
-- the order it was written; the new part is read whole (a second's worth), the rest only as far as the limit.
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
      ) AS room,
      coalesce(a.crm_recovered_at, '-infinity') AS recovered
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
    SELECT e.acc, p.pid, p.due FROM eligible e
    CROSS JOIN LATERAL (
      SELECT d.id AS pid, d.next_attempt_at AS due FROM crm_deliveries d
      WHERE d.account_id = e.acc AND d.status = 'pending' AND d.next_attempt_at <= p_now AND d.next_attempt_at > p_now - interval '1 second'
        AND d.attempt_count = 0 AND d.created_at > e.recovered
        AND (d.locked_until IS NULL OR d.locked_until <= p_now
          OR (d.locked_by IS NOT NULL AND d.locked_by <> p_process AND NOT EXISTS (
            SELECT 1 FROM processes pr WHERE pr.id = d.locked_by AND pr.heartbeat_at >= now() - make_interval(secs => p_dead_after_ms / 1000.0))))
      ORDER BY d.next_attempt_at, d.id
      LIMIT least(greatest(e.room, 0), p_limit)
      FOR UPDATE SKIP LOCKED
    ) p
  ),
  older AS (
    SELECT p.pid, p.due FROM eligible e
    CROSS JOIN LATERAL (
      SELECT d.id AS pid, d.next_attempt_at AS due FROM crm_deliveries d
      WHERE d.account_id = e.acc AND d.status = 'pending' AND d.next_attempt_at <= p_now
        AND NOT (d.next_attempt_at > p_now - interval '1 second' AND d.attempt_count = 0 AND d.created_at > e.recovered)
        AND (d.locked_until IS NULL OR d.locked_until <= p_now
          OR (d.locked_by IS NOT NULL AND d.locked_by <> p_process AND NOT EXISTS (
            SELECT 1 FROM processes pr WHERE pr.id = d.locked_by AND pr.heartbeat_at >= now() - make_interval(secs => p_dead_after_ms / 1000.0))))
      ORDER BY d.next_attempt_at, d.id
      LIMIT least(greatest(e.room - (SELECT count(*)::integer FROM recent r WHERE r.acc = e.acc), 0), p_limit)
      FOR UPDATE SKIP LOCKED
    ) p
  ),
  picked AS (
    (SELECT r.pid, 0 AS part, r.due FROM recent r LIMIT p_limit)
    UNION ALL
    (SELECT o.pid, 1 AS part, o.due FROM older o)
    LIMIT p_limit
  ),
  claimed AS (
    UPDATE crm_deliveries d
    SET locked_until = p_lease_until, locked_by = p_process, attempt_count = d.attempt_count + 1, last_attempt_at = p_now
    FROM picked, accounts a
    WHERE d.id = picked.pid AND a.id = d.account_id
    RETURNING d.id, d.account_id, d.attempt_count, d.payload, d.created_at, d.status, a.crm_webhook_url, a.crm_disabled_at,
      a.crm_failing_since, a.crm_probe_at, a.webhook_secret, a.webhook_secret_previous, a.webhook_secret_rotated_at,
      picked.part, picked.due
  )
  -- in the order they are to start: the dispatcher starts them as they come
  SELECT c.id, c.account_id, c.attempt_count, c.payload, c.created_at, c.status, c.crm_webhook_url, c.crm_disabled_at,
    c.crm_failing_since, c.crm_probe_at, c.webhook_secret, c.webhook_secret_previous, c.webhook_secret_rotated_at
  FROM claimed c ORDER BY c.part, c.due, c.id;
END
$$;
