export { createCrm, type Crm } from './crm.ts';
export { crmRoutes } from './crm.routes.ts';
export { defineCrmJobs } from './crm.jobs.ts';
export { createCrmOutbox, type CrmOutbox, type InboxEvent } from './crm-outbox.ts';
export { createCrmMetrics, type CrmMetrics } from './crm-metrics.ts';
export type { CrmSettings } from './crm-settings.ts';
