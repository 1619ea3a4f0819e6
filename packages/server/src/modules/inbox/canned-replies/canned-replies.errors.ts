import { AppError, conflict, notFound } from '../../../shared/errors.ts';

/** The errors of canned replies, by stable code. */
export const cannedReplyErrors = {
  notFound: () => notFound('canned_replies.not_found', 'No such canned reply on this account.'),
  shortcutTaken: (shortcut: string) => conflict('canned_replies.shortcut_taken', `This account already has a canned reply "/${shortcut}".`),
  tooMany: (max: number) => conflict('canned_replies.too_many', `An account may have at most ${max} canned replies.`),
  /** The text with its variables filled in is longer than Instagram takes. */
  tooLong: (bytes: number, max: number) =>
    new AppError(
      422,
      'canned_replies.too_long',
      `Filled in for this conversation, the reply is ${bytes} bytes; Instagram allows at most ${max} bytes (UTF-8). Shorten the canned reply or edit it before sending.`,
      { details: { bytes, max_bytes: max } },
    ),
};
