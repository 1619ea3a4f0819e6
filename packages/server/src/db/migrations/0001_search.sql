-- Search in the inbox (contact name, username, message text) with trigram indexes, so `%term%` stays fast at scale.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "contacts_username_trgm_idx" ON "contacts" USING gin (lower("username") gin_trgm_ops);
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "contacts_name_trgm_idx" ON "contacts" USING gin (lower("name") gin_trgm_ops);
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "messages_text_trgm_idx" ON "messages" USING gin (lower("text") gin_trgm_ops);
