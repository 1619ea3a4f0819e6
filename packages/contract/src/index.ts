export * from './errors.ts';
export * from './auth.ts';
export * from './api-keys.ts';
export * from './instagram-platform.ts';
export * from './crm-events.ts';
export * from './inbox.ts';
export * from './accounts.ts';
export * from './oauth.ts';
