import { createApiClient } from './client.ts';
import { createEndpoints } from './endpoints.ts';

let unauthorizedHandler: (message: string) => void = () => {};

/** The app's single client: one place handles an expired session (see the session store). */
export const apiClient = createApiClient({ onUnauthorized: (message) => unauthorizedHandler(message) });
export const api = createEndpoints(apiClient);

export function onUnauthorized(handler: (message: string) => void): void {
  unauthorizedHandler = handler;
}

export { ApiError } from './client.ts';
