import { AppError, notFound } from '../../../shared/errors.ts';

/** The errors of stored media and uploads, by stable code. */
export const mediaErrors = {
  notFound: () => notFound('media.not_found', 'No such media.'),
  notStored: (deleted = false) => notFound('media.not_stored', deleted ? 'This media was deleted.' : 'This media has no stored copy.'),
  unsupportedType: (contentType: string) =>
    new AppError(
      415,
      'uploads.unsupported_type',
      `Instagram cannot receive "${contentType || 'this'}" files: send an image (jpeg, png, gif), a video (mp4, mov, webm, ogg), audio (aac, m4a, wav) or a PDF.`,
    ),
  emptyUpload: () => new AppError(400, 'uploads.empty', 'The file is empty.'),
  uploadTooLarge: (kind: string, maxBytes: number) => new AppError(413, 'uploads.too_large', `Instagram accepts ${kind} files up to ${maxBytes / 1024 / 1024} MB.`),
  quotaExceeded: (heldBytes: number, quotaBytes: number) =>
    new AppError(
      413,
      'uploads.quota_exceeded',
      `This account holds ${Math.round(heldBytes / 1048576)} MB of unsent and sent uploads; the limit is ${Math.round(quotaBytes / 1048576)} MB. Files not sent are deleted after a day.`,
    ),
};
