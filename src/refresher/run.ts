// One refresher run: list, plan, refresh the stale Secrets with bounded concurrency, prove each refresh from the
// object the API server returns, record an Event per Secret, and summarize. Every Secret is tried; one failure
// never stops the others, and any failure makes the exit code non-zero.
import type { Logger } from '../common/logger.js';
import { KubernetesError } from '../common/kubernetes-client.js';
import { ENABLED_NAMESPACE_SELECTOR } from '../common/names.js';
import type { Clock } from '../common/time.js';
import { EVENT_REASONS, secretEvent, type EventSpec } from './events.js';
import type { ApiCallCounts, RefresherCluster } from './kubernetes.js';
import { describeRefreshReason, planRefresh, type ManagedSecretInfo, type RefreshItem } from './plan.js';
import { mapBounded } from './pool.js';
import { provision, type ProvisionSummary } from './provision.js';
import { verifyRefreshed } from './verify.js';
import { shortCredentialsNotice } from './short-lived.js';

export const DEFAULT_REFRESH_INTERVAL_MS = 30 * 60_000;
import type { ProvisioningConfig } from './config.js';

export interface RefreshOptions {
  readonly namespace: string | undefined;
  readonly namespaceSelector: string | undefined;
  readonly thresholdMs: number;
  readonly force: boolean;
  readonly dryRun: boolean;
  readonly concurrency: number;
  readonly provisioning: ProvisioningConfig | undefined;
  /** Time until the next run (the CronJob's period); short-lived Secrets must stay valid that long. Default 30 min. */
  readonly intervalMs?: number;
}

export interface RefreshDeps {
  readonly cluster: RefresherCluster;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Who reports the Events (the pod or host name). */
  readonly instance: string;
}

export type SecretOutcome =
  | { readonly status: 'refreshed'; readonly expiresAt: string }
  | { readonly status: 'failed'; readonly error: string }
  | { readonly status: 'skipped'; readonly reason: string }
  | { readonly status: 'planned' };

export interface RefreshSummary {
  /** Managed Secrets in enabled namespaces. */
  readonly found: number;
  readonly stale: number;
  readonly fresh: number;
  readonly refreshed: number;
  readonly failed: number;
  readonly skipped: number;
  /** Labeled Secrets outside enabled namespaces: not ours. */
  readonly ignored: number;
  readonly eventsFailed: number;
  readonly provisioning: ProvisionSummary | undefined;
  readonly dryRun: boolean;
  readonly durationMs: number;
  readonly apiCalls: ApiCallCounts;
  /** Set when the run could not even list what to refresh. */
  readonly error?: string;
}

/** 0 only when the run listed everything and every stale Secret (and provisioning step) succeeded. */
export function exitCodeOf(summary: RefreshSummary): number {
  const provisioningFailed = (summary.provisioning?.failed ?? 0) > 0;
  return summary.error === undefined && summary.failed === 0 && !provisioningFailed ? 0 : 1;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export async function runRefresh(options: RefreshOptions, deps: RefreshDeps): Promise<RefreshSummary> {
  const { cluster, clock, logger } = deps;
  const started = clock();
  let eventsFailed = 0;

  const record = async (secret: ManagedSecretInfo, spec: EventSpec): Promise<void> => {
    try {
      await cluster.recordEvent(secretEvent(secret, spec, clock(), deps.instance));
    } catch (error) {
      eventsFailed += 1;
      logger.warn({ namespace: secret.namespace, secret: secret.name, eventReason: spec.reason, error: errorMessage(error) }, 'could not record the Event');
    }
  };

  // Both lists are awaited to the end (allSettled), so a failed run leaves no request behind.
  const [namespacesListed, secretsListed] = await Promise.allSettled([
    cluster.listEnabledNamespaces({ namespace: options.namespace, extraSelector: options.namespaceSelector }),
    cluster.listManagedSecrets(options.namespace),
  ]);
  if (namespacesListed.status === 'rejected' || secretsListed.status === 'rejected') {
    const reason: unknown = namespacesListed.status === 'rejected' ? namespacesListed.reason : (secretsListed as PromiseRejectedResult).reason;
    const summary = emptySummary(options, clock().getTime() - started.getTime(), cluster.apiCalls(), errorMessage(reason));
    logger.error(summary, 'refresh run failed: could not list the managed Secrets');
    return summary;
  }
  const enabledNamespaces = namespacesListed.value;
  const secrets = secretsListed.value;
  if (options.namespace !== undefined && !enabledNamespaces.has(options.namespace)) {
    // A run aimed at one namespace that is not in scope would otherwise succeed forever while its Secrets expire.
    const error = `namespace ${options.namespace} is not labeled ${ENABLED_NAMESPACE_SELECTOR}${options.namespaceSelector ? ` and ${options.namespaceSelector}` : ''} (or does not exist): nothing there is refreshed`;
    const summary = emptySummary(options, clock().getTime() - started.getTime(), cluster.apiCalls(), error);
    logger.error(summary, 'refresh run failed: the namespace is not enabled');
    return summary;
  }

  const now = clock();
  const intervalMs = options.intervalMs ?? DEFAULT_REFRESH_INTERVAL_MS;
  const notice = shortCredentialsNotice(secrets, options.thresholdMs, intervalMs);
  if (notice !== undefined) logger.warn({ code: 'ECR_ANYWHERE_SHORT_CREDENTIALS' }, notice);
  const plan = planRefresh({ secrets, enabledNamespaces, now, thresholdMs: options.thresholdMs, force: options.force });

  const provisioning = options.provisioning
    ? await provision(options.provisioning, { namespace: options.namespace, enabledNamespaces, managed: secrets, thresholdMs: options.thresholdMs, dryRun: options.dryRun, concurrency: options.concurrency }, { ...deps, record })
    : undefined;

  await mapBounded(plan.skipped, options.concurrency, async ({ secret, reason }) => {
    logger.warn({ namespace: secret.namespace, secret: secret.name, reason }, 'skipped');
    if (!options.dryRun) await record(secret, { type: 'Warning', reason: EVENT_REASONS.skipped, message: `Not refreshed: ${reason}` });
  });

  const refreshOne = async (item: RefreshItem): Promise<SecretOutcome> => {
    const { secret } = item;
    const why = describeRefreshReason(item, now);
    if (options.dryRun) {
      logger.info({ namespace: secret.namespace, secret: secret.name, reason: item.reason, detail: why }, 'would refresh (dry run)');
      return { status: 'planned' };
    }
    let outcome: SecretOutcome;
    try {
      const stored = await cluster.markForUpdate(secret, clock());
      const verdict = verifyRefreshed(stored, clock(), options.thresholdMs, { startedAt: started, intervalMs });
      outcome = verdict.ok ? { status: 'refreshed', expiresAt: verdict.expiresAt } : { status: 'failed', error: verdict.error };
    } catch (error) {
      outcome =
        error instanceof KubernetesError && error.status === 404
          ? { status: 'skipped', reason: 'the Secret was deleted during the run' }
          : { status: 'failed', error: errorMessage(error) };
    }
    // `secret`, not `name`: pino's own `name` field is the program's.
    const where = { namespace: secret.namespace, secret: secret.name, reason: item.reason };
    switch (outcome.status) {
      case 'refreshed':
        logger.info({ ...where, expiresAt: outcome.expiresAt }, 'refreshed');
        await record(secret, { type: 'Normal', reason: EVENT_REASONS.refreshed, message: `ECR credentials refreshed (${why}); they now expire at ${outcome.expiresAt}` });
        break;
      case 'failed':
        logger.error({ ...where, error: outcome.error }, 'refresh failed');
        await record(secret, { type: 'Warning', reason: EVENT_REASONS.failed, message: `Refresh failed (${why}): ${outcome.error}` });
        break;
      case 'skipped':
        logger.warn({ ...where, skipReason: outcome.reason }, 'skipped');
        break;
    }
    return outcome;
  };
  const outcomes = await mapBounded(plan.refresh, options.concurrency, refreshOne);

  const count = (status: SecretOutcome['status']): number => outcomes.filter((outcome) => outcome.status === status).length;
  const summary: RefreshSummary = {
    found: plan.refresh.length + plan.fresh.length + plan.skipped.length,
    stale: plan.refresh.length,
    fresh: plan.fresh.length,
    refreshed: count('refreshed'),
    failed: count('failed'),
    skipped: plan.skipped.length + count('skipped'),
    ignored: plan.ignored,
    eventsFailed,
    provisioning,
    dryRun: options.dryRun,
    durationMs: clock().getTime() - started.getTime(),
    apiCalls: cluster.apiCalls(),
  };
  if (exitCodeOf(summary) === 0) summaryLogger(logger).info(summary, 'refresh run finished');
  else logger.error(summary, 'refresh run finished with failures');
  return summary;
}

/** The summary line is the run's record: written at info even when LOG_LEVEL asks for warn or error (not silent). */
function summaryLogger(logger: Logger): Logger {
  return logger.level === 'silent' ? logger : logger.child({}, { level: 'info' });
}

function emptySummary(options: RefreshOptions, durationMs: number, apiCalls: ApiCallCounts, error: string): RefreshSummary {
  return {
    found: 0,
    stale: 0,
    fresh: 0,
    refreshed: 0,
    failed: 0,
    skipped: 0,
    ignored: 0,
    eventsFailed: 0,
    provisioning: undefined,
    dryRun: options.dryRun,
    durationMs,
    apiCalls,
    error,
  };
}
