ALTER TABLE "accounts" ADD COLUMN "crm_probe_at" timestamp with time zone;--> statement-breakpoint
-- Hand-written: the CRM claim (0014) with a failing endpoint probed, not flooded. While `crm_failing_since` is set,
-- the claim gives the endpoint one attempt at a time (its room is at most 1, counting the attempts under way), and
-- none before `crm_probe_at`, which each failure there moves on (crm-schedule.ts `probeDelayMs`). Before, every
-- delivery written during an outage was attempted at once and again at its first retry: at 200 events/s, some 380
-- failed attempts a second, each with its outcome written, taking the machine from the endpoints that answer. The
-- probe's success releases the waiting deliveries in the order they were written (crm-delivery.ts).
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
    a.crm_failing_since, a.crm_probe_at, a.webhook_secret, a.webhook_secret_previous, a.webhook_secret_rotated_at;
END
$$;
