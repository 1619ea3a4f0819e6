-- Hand-written: storage settings of the tables every webhook event writes (issue 24; no schema change, so the
-- snapshot is 0011's). The raw-event table and the CRM deliveries are queues: each row is inserted, then updated
-- once or twice, and their claims read a partial index whose entries for finished rows stay until a vacuum. With
-- PostgreSQL's default (a vacuum once a fifth of the table is dead) a table of a million events carries 200,000 dead
-- entries at the front of that index; these tables are vacuumed and analyzed after 2 % instead (and 1,000 rows at
-- least, so a small install is not vacuumed all the time). A conversation is updated for every message (its
-- aggregates, then its CRM sequence): free space on its page (fillfactor 80, for pages written from now on) lets the
-- second update stay on the page without new entries in the conversation's ten indexes (a HOT update).
ALTER TABLE "webhook_events" SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_threshold = 1000, autovacuum_analyze_scale_factor = 0.02, autovacuum_analyze_threshold = 1000);--> statement-breakpoint
ALTER TABLE "crm_deliveries" SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_threshold = 1000, autovacuum_analyze_scale_factor = 0.02, autovacuum_analyze_threshold = 1000);--> statement-breakpoint
ALTER TABLE "conversations" SET (fillfactor = 80, autovacuum_vacuum_scale_factor = 0.05, autovacuum_analyze_scale_factor = 0.05);
