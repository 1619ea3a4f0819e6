import { z } from 'zod';

/**
 * How a team works a conversation: its status (open, snoozed until a time, done), who it is assigned to, internal
 * notes, and the live signals of who else is on it. Shared by the server, the web app and the CRM API.
 */
export const CONVERSATION_STATUSES = ['open', 'snoozed', 'done'] as const;
export const conversationStatusSchema = z.enum(CONVERSATION_STATUSES);
export type ConversationStatus = z.infer<typeof conversationStatusSchema>;

/** Notes are for the team, never sent to Instagram: 5,000 characters is a long note; 10,000 is refused. */
export const NOTE_TEXT_MAX_CHARS = 5000;
/** Auto-assignment gives a member at most this many open conversations by default (per account, settable). */
export const AUTO_ASSIGN_DEFAULT_LIMIT = 10;
export const AUTO_ASSIGN_MAX_LIMIT = 1000;

const isoDate = z.iso.datetime({ offset: true });

export const teammateSchema = z.object({ id: z.string(), username: z.string() });
export type Teammate = z.infer<typeof teammateSchema>;

/** `PATCH /api/v1/ui/conversations/{id}` (and `/api/v1/…` with an API key of scope `conversations:write`). */
export const conversationStatusBodySchema = z
  .strictObject({
    status: conversationStatusSchema,
    /** required with `snoozed`: when it opens again by itself (must be in the future) */
    snoozed_until: isoDate.optional(),
  })
  .superRefine((b, ctx) => {
    if (b.status === 'snoozed' && !b.snoozed_until) ctx.addIssue({ code: 'custom', path: ['snoozed_until'], message: 'snoozing needs snoozed_until' });
    if (b.status !== 'snoozed' && b.snoozed_until) ctx.addIssue({ code: 'custom', path: ['snoozed_until'], message: 'snoozed_until goes with status snoozed only' });
  });
export type ConversationStatusBody = z.infer<typeof conversationStatusBodySchema>;

/** `PUT /api/v1/ui/conversations/{id}/assignee`: a member who may send (admin or owner), or null to unassign. */
export const assigneeBodySchema = z.strictObject({ user_id: z.uuid().nullable() });

/** The list's status filter (default: open) and assignee filter: mine, unassigned, or a teammate's id. */
export const conversationStatusFilterSchema = z.enum(['open', 'snoozed', 'done', 'all']);
export type ConversationStatusFilter = z.infer<typeof conversationStatusFilterSchema>;
export const conversationAssigneeFilterSchema = z.union([z.enum(['me', 'unassigned']), z.uuid()]);

/** Who did something to a conversation: a person, a CRM's API key, the customer (a new message), or Threadline. */
export const actorSchema = z.object({
  type: z.enum(['user', 'api_key', 'contact', 'system']),
  id: z.string().nullable(),
  name: z.string().nullable(),
});
export type Actor = z.infer<typeof actorSchema>;

export const noteSchema = z.object({
  id: z.string(),
  conversation_id: z.string(),
  author: z.object({ type: z.enum(['user', 'api_key']), id: z.string().nullable(), name: z.string().nullable() }),
  text: z.string(),
  /** teammates named with `@username` in the text (each is notified) */
  mentions: z.array(teammateSchema),
  created_at: z.string(),
  updated_at: z.string(),
  edited: z.boolean(),
});
export type Note = z.infer<typeof noteSchema>;
export const noteListSchema = z.object({ notes: z.array(noteSchema) });
export const noteBodySchema = z.strictObject({
  text: z
    .string()
    .trim()
    .min(1, 'the note is empty')
    .max(NOTE_TEXT_MAX_CHARS, `a note has at most ${NOTE_TEXT_MAX_CHARS} characters`),
});

/** `@username` mentions in a note: usernames as typed (matched case-insensitively against the account's members). */
export function mentionedUsernames(text: string): string[] {
  const names = new Set<string>();
  for (const m of text.matchAll(/(?:^|[^\w@.])@([A-Za-z0-9_.-]{1,64})/g)) {
    const name = m[1]?.replace(/[.-]+$/, '');
    if (name) names.add(name.toLowerCase());
  }
  return [...names];
}

/** `POST /api/v1/ui/conversations/{id}/presence`: "I have it open", "I am typing", "I left". */
export const presenceBodySchema = z.strictObject({ state: z.enum(['viewing', 'typing', 'left']) });
export type PresenceState = z.infer<typeof presenceBodySchema>['state'];
/** A client repeats `viewing` this often while the thread stays open; others forget it after PRESENCE_TTL_SECONDS. */
export const PRESENCE_HEARTBEAT_SECONDS = 10;
export const PRESENCE_TTL_SECONDS = 25;

/** `GET/PUT /api/v1/accounts/{id}/assignment`: the account's auto-assignment and who may be assigned. */
export const assignmentMemberSchema = z.object({
  user_id: z.string(),
  username: z.string(),
  role: z.enum(['owner', 'admin', 'viewer']),
  /** the member chose to receive conversations by auto-assignment */
  receives_conversations: z.boolean(),
  /** open conversations assigned to them on this account */
  open_assigned: z.number(),
});
export const assignmentSettingsSchema = z.object({
  auto_assign: z.boolean(),
  max_open_per_member: z.number().int(),
  members: z.array(assignmentMemberSchema),
});
export type AssignmentSettings = z.infer<typeof assignmentSettingsSchema>;
export const assignmentSettingsBodySchema = z
  .strictObject({
    auto_assign: z.boolean().optional(),
    max_open_per_member: z.number().int().min(1).max(AUTO_ASSIGN_MAX_LIMIT).optional(),
  })
  .refine((b) => b.auto_assign !== undefined || b.max_open_per_member !== undefined, 'change auto_assign or max_open_per_member');
/** `PUT /api/v1/accounts/{id}/assignment/me`: whether I receive auto-assigned conversations. */
export const assignmentMeBodySchema = z.strictObject({ receives_conversations: z.boolean() });

/** `GET /api/v1/ui/notifications`: @mentions of me, newest first. */
export const notificationSchema = z.object({
  id: z.string(),
  kind: z.literal('mention'),
  account_id: z.string(),
  conversation_id: z.string(),
  note_id: z.string().nullable(),
  by: teammateSchema.nullable(),
  /** the first 140 characters of the note */
  excerpt: z.string(),
  created_at: z.string(),
  read_at: z.string().nullable(),
});
export type Notification = z.infer<typeof notificationSchema>;
export const notificationListSchema = z.object({ notifications: z.array(notificationSchema), unread: z.number() });
export const notificationsReadBodySchema = z.strictObject({ ids: z.array(z.uuid()).max(500).optional() });
