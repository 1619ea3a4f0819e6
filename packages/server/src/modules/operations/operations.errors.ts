import { forbidden, notFound, unauthorized } from '../../shared/errors.ts';

/** The refusals of the metrics endpoint, by stable code. */
export const operationsErrors = {
  metricsOnOtherPort: () => notFound('metrics.other_port', 'Metrics are served on their own port (METRICS_PORT).'),
  metricsUnauthorized: () => unauthorized('metrics.unauthorized', 'Send the metrics token as "Authorization: Bearer <METRICS_TOKEN>".'),
  metricsForbidden: () => forbidden('metrics.forbidden', 'Metrics are served only to the networks in METRICS_ALLOWED_NETWORKS.'),
};
