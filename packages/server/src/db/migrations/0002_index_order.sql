DROP INDEX "conversations_account_activity_idx";--> statement-breakpoint
DROP INDEX "conversations_account_unread_idx";--> statement-breakpoint
DROP INDEX "conversations_account_needs_reply_idx";--> statement-breakpoint
DROP INDEX "messages_conversation_time_idx";--> statement-breakpoint
DROP INDEX "crm_deliveries_account_created_idx";--> statement-breakpoint
CREATE INDEX "conversations_account_activity_idx" ON "conversations" USING btree ("account_id","last_message_at" DESC NULLS FIRST,"id" DESC NULLS FIRST);--> statement-breakpoint
CREATE INDEX "conversations_account_unread_idx" ON "conversations" USING btree ("account_id","last_message_at" DESC NULLS FIRST,"id" DESC NULLS FIRST) WHERE "conversations"."unread_count" > 0;--> statement-breakpoint
CREATE INDEX "conversations_account_needs_reply_idx" ON "conversations" USING btree ("account_id","last_message_at" DESC NULLS FIRST,"id" DESC NULLS FIRST) WHERE "conversations"."needs_reply";--> statement-breakpoint
CREATE INDEX "messages_conversation_time_idx" ON "messages" USING btree ("conversation_id","sent_at" DESC NULLS FIRST,"id" DESC NULLS FIRST);--> statement-breakpoint
CREATE INDEX "crm_deliveries_account_created_idx" ON "crm_deliveries" USING btree ("account_id","created_at" DESC NULLS FIRST,"id" DESC NULLS FIRST);