import { forbidden, notFound, unauthorized } from '../../shared/errors.ts';

/** The errors of API keys, by stable code. */
export const apiKeyErrors = {
  notFound: () => notFound('api_keys.not_found', 'No such API key on this account.'),
  invalidKey: () => unauthorized('auth.invalid_api_key', 'Invalid API key'),
  missingScope: (scope: string) => forbidden('auth.missing_scope', `This API key lacks the "${scope}" scope.`),
};
