// One Prometheus registry per process; every series is prefixed `ecr_anywhere_`.
import { Registry, collectDefaultMetrics } from 'prom-client';

export const METRIC_PREFIX = 'ecr_anywhere_';

export function createMetricsRegistry(options: { readonly processMetrics: boolean }): Registry {
  const registry = new Registry();
  if (options.processMetrics) collectDefaultMetrics({ register: registry, prefix: METRIC_PREFIX });
  return registry;
}
