export * from './users.ts';
export * from './accounts.ts';
export * from './inbox.ts';
export * from './pipeline.ts';
export * from './waiting.ts';
export * from './teammates.ts';
export * from './team.ts';
