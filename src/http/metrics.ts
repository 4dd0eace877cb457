// The webhook's series, owned by the HTTP layer. Labels carry outcomes and regions only, never Secret names or secrets.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { METRIC_PREFIX } from '../common/metrics.js';
import type { Clock } from '../common/time.js';
import type { EcrToken } from '../ecr/token.js';

export interface WebhookMetrics {
  readonly admissions: Counter<'outcome'>;
  readonly admissionDuration: Histogram<'outcome'>;
  readonly ecrRequests: Counter<'region' | 'outcome'>;
  readonly heldTokenAdmissions: Counter<'region'>;
  readonly admissionsWaitedOnEcr: Counter;
  readonly serviceAccountAdmissions: Counter<'outcome'>;
}

export function registerWebhookMetrics(registry: Registry, heldTokens: () => readonly EcrToken[], clock: Clock): WebhookMetrics {
  const admissions = new Counter({
    name: `${METRIC_PREFIX}admissions_total`,
    help: 'Admission reviews answered, by outcome (patched, unchanged, skipped, refused, invalid).',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const admissionDuration = new Histogram({
    name: `${METRIC_PREFIX}admission_duration_seconds`,
    help: 'Time from receiving an admission review to answering it.',
    labelNames: ['outcome'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const ecrRequests = new Counter({
    name: `${METRIC_PREFIX}ecr_requests_total`,
    help: 'ECR GetAuthorizationToken calls, by region and outcome (success, refused, throttled, timeout, unavailable).',
    labelNames: ['region', 'outcome'],
    registers: [registry],
  });
  const heldTokenAdmissions = new Counter({
    name: `${METRIC_PREFIX}held_token_admissions_total`,
    help: 'Admissions answered with a held token because fetching a new one from ECR failed, by region.',
    labelNames: ['region'],
    registers: [registry],
  });
  const admissionsWaitedOnEcr = new Counter({
    name: `${METRIC_PREFIX}admissions_waited_on_ecr_total`,
    help: 'Admissions whose answer waited on an ECR call (after warm-up, renewals run ahead and this stays flat).',
    registers: [registry],
  });
  const serviceAccountAdmissions = new Counter({
    name: `${METRIC_PREFIX}service_account_admissions_total`,
    help: 'ServiceAccount admission reviews answered on /mutate-serviceaccounts, by outcome (patched, unchanged, skipped, invalid).',
    labelNames: ['outcome'],
    registers: [registry],
  });
  new Gauge({
    name: `${METRIC_PREFIX}token_expiry_seconds`,
    help: 'Seconds until the cached ECR token of each region expires.',
    labelNames: ['region'],
    registers: [registry],
    collect(): void {
      this.reset();
      const now = clock().getTime();
      for (const token of heldTokens()) this.set({ region: token.region }, (token.expiresAt.getTime() - now) / 1000);
    },
  });
  return { admissions, admissionDuration, ecrRequests, heldTokenAdmissions, admissionsWaitedOnEcr, serviceAccountAdmissions };
}
