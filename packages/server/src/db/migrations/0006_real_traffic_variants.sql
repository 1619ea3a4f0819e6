CREATE TABLE "waiting_events" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "waiting_events_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"account_id" uuid NOT NULL,
	"mid" text NOT NULL,
	"kind" text NOT NULL,
	"actor" text NOT NULL,
	"conversation_id" uuid,
	"data" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"occurred_at" timestamp (3) with time zone NOT NULL,
	"webhook_event_id" bigint,
	"item_path" text,
	"applied_at" timestamp with time zone,
	"message_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "edit_text_state" text;--> statement-breakpoint
ALTER TABLE "webhook_events" ADD COLUMN "item_outcomes" jsonb;--> statement-breakpoint
ALTER TABLE "waiting_events" ADD CONSTRAINT "waiting_events_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "waiting_events" ADD CONSTRAINT "waiting_events_conversation_id_conversations_id_fk" FOREIGN KEY ("conversation_id") REFERENCES "public"."conversations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "waiting_events" ADD CONSTRAINT "waiting_events_message_id_messages_id_fk" FOREIGN KEY ("message_id") REFERENCES "public"."messages"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "waiting_events_item_key" ON "waiting_events" USING btree ("webhook_event_id","item_path");--> statement-breakpoint
CREATE INDEX "waiting_events_mid_idx" ON "waiting_events" USING btree ("account_id","mid") WHERE "waiting_events"."applied_at" is null;--> statement-breakpoint
CREATE INDEX "waiting_events_created_idx" ON "waiting_events" USING btree ("created_at");