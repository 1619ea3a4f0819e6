import { createApiClient, type ApiError } from './client.ts';
import { createEndpoints } from './endpoints.ts';

let unauthorizedHandler: (error: ApiError) => void = () => {};

/** The app's single client: one place handles an expired session (see the session store). */
export const apiClient = createApiClient({ onUnauthorized: (error) => unauthorizedHandler(error) });
export const api = createEndpoints(apiClient);

export function onUnauthorized(handler: (error: ApiError) => void): void {
  unauthorizedHandler = handler;
}

export { ApiError } from './client.ts';
