export { crmRoutes } from './endpoints/crm.routes.ts';
export { defineCrmJobs } from './crm.jobs.ts';
export { createCrmOutbox, type CrmOutbox, type InboxEvent } from './outbox/crm-outbox.ts';
export { createCrmMetrics, type CrmMetrics } from './dispatch/crm-metrics.ts';
export type { CrmSettings } from '../../config/crm-settings.ts';
