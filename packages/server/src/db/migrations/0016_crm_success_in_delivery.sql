-- A successful CRM attempt is kept in its delivery (duration and the start of the answer, beside last_attempt_at and
-- last_status_code), not as a row of crm_delivery_attempts, which keeps the attempts that failed (issue 24: one row
-- fewer written per event). Deliveries that succeeded before keep their attempt rows; these columns stay null there.
ALTER TABLE "crm_deliveries" ADD COLUMN "last_duration_ms" integer;--> statement-breakpoint
ALTER TABLE "crm_deliveries" ADD COLUMN "last_response_excerpt" text;