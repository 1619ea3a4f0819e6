import { badRequest, conflict, notFound } from '../../../shared/errors.ts';

/** The errors of labels, by stable code. */
export const labelErrors = {
  notFound: () => notFound('labels.not_found', 'No such label on this account.'),
  nameTaken: (name: string) => conflict('labels.name_taken', `This account already has a label named "${name}".`),
  tooMany: (max: number) => conflict('labels.too_many', `An account may have at most ${max} labels.`),
  otherAccount: (ids: string[]) =>
    badRequest('labels.other_account', `These labels are not labels of this conversation's account: ${ids.join(', ')}.`, { label_ids: ids }),
};
