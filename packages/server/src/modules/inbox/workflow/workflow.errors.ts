import { AppError, badRequest, notFound } from '../../../shared/errors.ts';

/** The errors of status, assignment and notes: stable codes, one message each. */
export const workflowErrors = {
  snoozeInPast: (until: Date) =>
    new AppError(422, 'conversations.snooze_in_past', `snoozed_until (${until.toISOString()}) is not in the future: snooze until a later time.`),
  assigneeNotMember: () =>
    new AppError(422, 'conversations.assignee_not_member', 'That user is not a member of this account: add them to the account before assigning.'),
  assigneeCannotSend: (role: string) =>
    new AppError(422, 'conversations.assignee_cannot_send', `Only members who may reply (admins and owners) can be assigned; that user is a ${role}.`),
  assigneeMeNeedsSession: () => badRequest('conversations.assignee_me_needs_session', 'assignee=me needs a signed-in user: an API key names a user id.'),
  noteNotFound: () => notFound('notes.not_found', 'No such note in this conversation.'),
  notNoteAuthor: () => new AppError(403, 'notes.not_author', 'Only the author of a note can edit or delete it.'),
  noteTooLong: (max: number, length: number) => badRequest('notes.too_long', `The note is ${length} characters; a note has at most ${max}.`),
  assignmentNeedsSender: () =>
    new AppError(422, 'accounts.receives_conversations_needs_sender', 'Only members who may reply (admins and owners) can receive conversations.'),
};
