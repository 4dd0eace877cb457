// One refresher run, in three steps: plan (list, then the pure plan), execute (refresh the stale Secrets with
// bounded concurrency, prove each refresh from the object the API server returns, record an Event per Secret),
// summarise (the pure count and the one summary line). Every Secret is tried; one failure never stops the others,
// and any failure makes the exit code non-zero.
import { ErrorCodes, errorCode, errorMessage, type ErrorCode } from '../common/errors.js';
import { apiStatusOf } from '../common/kubernetes-client.js';
import type { Logger } from '../common/logger.js';
import { ENABLED_NAMESPACE_SELECTOR } from '../common/names.js';
import { mapBounded } from '../common/pool.js';
import type { Clock } from '../common/time.js';
import type { ProvisioningConfig } from './config.js';
import { EVENT_REASONS, secretEvent, type EventSpec } from './events.js';
import type { ApiCallCounts, RefresherCluster } from './kubernetes.js';
import { describeRefreshReason, planRefresh, type ManagedSecretInfo, type RefreshItem, type RefreshPlan } from './plan.js';
import { provision, type ProvisionSummary } from './provision.js';
import { verifyRefreshed } from './verify.js';
import { shortCredentialsNotice } from './short-lived.js';

export const DEFAULT_REFRESH_INTERVAL_MS = 30 * 60_000;

export interface RefreshOptions {
  readonly namespace: string | undefined;
  /** Namespaced mode (see ClusterScopeConfig). */
  readonly namespaces?: readonly string[] | undefined;
  /** Never refreshed (the webhook's excluded namespaces and release namespace). */
  readonly excludedNamespaces?: readonly string[] | undefined;
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
  | { readonly status: 'failed'; readonly error: string; readonly code: ErrorCode | undefined }
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
  /** Set when the run could not even list what to refresh (or its one namespace is not enabled). */
  readonly error?: string;
  /** The stable code of that failure, when it has one. */
  readonly code?: ErrorCode;
}

/** 0 only when the run listed everything and every stale Secret (and provisioning step) succeeded. */
export function exitCodeOf(summary: RefreshSummary): number {
  const provisioningFailed = (summary.provisioning?.failed ?? 0) > 0;
  return summary.error === undefined && summary.failed === 0 && !provisioningFailed ? 0 : 1;
}

/** Records Events, counting (and logging) the ones the API server refused: a lost Event never fails a Secret. */
interface EventRecorder {
  record(secret: ManagedSecretInfo, spec: EventSpec): Promise<void>;
  failed(): number;
}

interface Scope {
  readonly enabledNamespaces: ReadonlySet<string>;
  readonly secrets: readonly ManagedSecretInfo[];
}

/** Why a run stops before planning: the summary's `error`, and what the log line says happened. */
interface RunFailure {
  readonly error: string;
  readonly code: ErrorCode | undefined;
  readonly what: string;
}

export async function runRefresh(options: RefreshOptions, deps: RefreshDeps): Promise<RefreshSummary> {
  const started = deps.clock();
  const elapsedMs = (): number => deps.clock().getTime() - started.getTime();
  const scope = await listScope(options, deps.cluster);
  if ('failure' in scope) {
    const summary = emptySummary(options, elapsedMs(), deps.cluster.apiCalls(), scope.failure);
    deps.logger.error(summary, `refresh run failed: ${scope.failure.what}`);
    return summary;
  }

  const now = deps.clock();
  const notice = shortCredentialsNotice(scope.secrets, options.thresholdMs, options.intervalMs ?? DEFAULT_REFRESH_INTERVAL_MS);
  if (notice !== undefined) deps.logger.warn({ code: ErrorCodes.SHORT_CREDENTIALS.code }, notice);
  const plan = planRefresh({ secrets: scope.secrets, enabledNamespaces: scope.enabledNamespaces, now, thresholdMs: options.thresholdMs, force: options.force });
  const events = eventRecorder(deps);
  const provisioning = options.provisioning
    ? await provision(
        options.provisioning,
        { namespace: options.namespaces ?? options.namespace, enabledNamespaces: scope.enabledNamespaces, managed: scope.secrets, thresholdMs: options.thresholdMs, dryRun: options.dryRun, concurrency: options.concurrency },
        { ...deps, record: (secret, spec) => events.record(secret, spec) },
      )
    : undefined;
  await mapBounded(plan.skipped, options.concurrency, ({ secret, reason }) => reportSkipped(secret, reason, options, deps.logger, events));
  const outcomes = await mapBounded(plan.refresh, options.concurrency, (item) => refreshSecret(item, now, options, deps, events));

  const summary = summarise(plan, outcomes, { eventsFailed: events.failed(), provisioning, dryRun: options.dryRun, durationMs: elapsedMs(), apiCalls: deps.cluster.apiCalls() });
  logSummary(summary, deps.logger);
  return summary;
}

/** Both lists, awaited to the end (allSettled) so a failed run leaves no request behind. */
async function listScope(options: RefreshOptions, cluster: RefresherCluster): Promise<Scope | { readonly failure: RunFailure }> {
  const [namespaces, secrets] = await Promise.allSettled([
    cluster.listEnabledNamespaces({ namespace: options.namespace, namespaces: options.namespaces, extraSelector: options.namespaceSelector }),
    cluster.listManagedSecrets(options.namespaces ?? options.namespace),
  ]);
  const notListed = (reason: unknown): { failure: RunFailure } => ({
    failure: { error: errorMessage(reason), code: errorCode(reason), what: 'could not list the managed Secrets' },
  });
  if (namespaces.status === 'rejected') return notListed(namespaces.reason);
  if (secrets.status === 'rejected') return notListed(secrets.reason);
  const enabledNamespaces = withoutExcluded(namespaces.value, options.excludedNamespaces);
  const failure = scopeProblem(options, enabledNamespaces);
  return failure ? { failure } : { enabledNamespaces, secrets: secrets.value };
}

/** Excluded namespaces are out of scope whatever their labels say: their Secrets are neither refreshed nor provisioned. */
export function withoutExcluded(enabled: ReadonlySet<string>, excluded: readonly string[] | undefined): Set<string> {
  const inScope = new Set(enabled);
  for (const name of excluded ?? []) inScope.delete(name);
  return inScope;
}

/** A run aimed at namespaces that are not in scope would otherwise succeed forever while their Secrets expire. */
export function scopeProblem(
  options: Pick<RefreshOptions, 'namespace' | 'namespaces' | 'namespaceSelector' | 'excludedNamespaces'>,
  enabledNamespaces: ReadonlySet<string>,
): RunFailure | undefined {
  const named = options.namespaces ?? (options.namespace === undefined ? [] : [options.namespace]);
  const notEnabled = named.filter((name) => !enabledNamespaces.has(name));
  if (notEnabled.length === 0) return undefined;
  const excluded = notEnabled.filter((name) => options.excludedNamespaces?.includes(name));
  if (excluded.length > 0) {
    return {
      error: `namespace ${excluded.join(', ')} is excluded (REFRESH_EXCLUDED_NAMESPACES): nothing there is refreshed`,
      code: ErrorCodes.NAMESPACE_NOT_ENABLED.code,
      what: 'the namespace is excluded',
    };
  }
  const selector = `${ENABLED_NAMESPACE_SELECTOR}${options.namespaceSelector ? ` and ${options.namespaceSelector}` : ''}`;
  return {
    error: `namespace ${notEnabled.join(', ')} is not labeled ${selector} (or does not exist): nothing there is refreshed`,
    code: ErrorCodes.NAMESPACE_NOT_ENABLED.code,
    what: 'the namespace is not enabled',
  };
}

function eventRecorder(deps: RefreshDeps): EventRecorder {
  let failed = 0;
  return {
    async record(secret, spec) {
      try {
        await deps.cluster.recordEvent(secretEvent(secret, spec, deps.clock(), deps.instance));
      } catch (error) {
        failed += 1;
        deps.logger.warn(
          { namespace: secret.namespace, secret: secret.name, eventReason: spec.reason, error: errorMessage(error), code: errorCode(error) },
          'could not record the Event',
        );
      }
    },
    failed: () => failed,
  };
}

async function reportSkipped(secret: ManagedSecretInfo, reason: string, options: RefreshOptions, logger: Logger, events: EventRecorder): Promise<void> {
  logger.warn({ namespace: secret.namespace, secret: secret.name, reason }, 'skipped');
  if (!options.dryRun) await events.record(secret, { type: 'Warning', reason: EVENT_REASONS.skipped, message: `Not refreshed: ${reason}` });
}

/** One stale Secret: bump it (or only say so in a dry run), judge what the API server stored, report it. */
async function refreshSecret(item: RefreshItem, now: Date, options: RefreshOptions, deps: RefreshDeps, events: EventRecorder): Promise<SecretOutcome> {
  const why = describeRefreshReason(item, now);
  if (options.dryRun) {
    deps.logger.info({ namespace: item.secret.namespace, secret: item.secret.name, reason: item.reason, detail: why }, 'would refresh (dry run)');
    return { status: 'planned' };
  }
  const outcome = await bumpAndVerify(item.secret, options, deps);
  await reportOutcome(item, why, outcome, deps.logger, events);
  return outcome;
}

async function bumpAndVerify(secret: ManagedSecretInfo, options: RefreshOptions, deps: RefreshDeps): Promise<SecretOutcome> {
  try {
    const stored = await deps.cluster.markForUpdate(secret, deps.clock());
    const timing = { intervalMs: options.intervalMs ?? DEFAULT_REFRESH_INTERVAL_MS };
    const verdict = verifyRefreshed(stored, deps.clock(), options.thresholdMs, timing);
    return verdict.ok
      ? { status: 'refreshed', expiresAt: verdict.expiresAt }
      : { status: 'failed', error: verdict.error, code: ErrorCodes.REFRESH_NOT_VERIFIED.code };
  } catch (error) {
    return apiStatusOf(error) === 404
      ? { status: 'skipped', reason: 'the Secret was deleted during the run' }
      : { status: 'failed', error: errorMessage(error), code: errorCode(error) };
  }
}

async function reportOutcome(item: RefreshItem, why: string, outcome: SecretOutcome, logger: Logger, events: EventRecorder): Promise<void> {
  const { secret } = item;
  // `secret`, not `name`: pino's own `name` field is the program's.
  const where = { namespace: secret.namespace, secret: secret.name, reason: item.reason };
  switch (outcome.status) {
    case 'refreshed':
      logger.info({ ...where, expiresAt: outcome.expiresAt }, 'refreshed');
      await events.record(secret, { type: 'Normal', reason: EVENT_REASONS.refreshed, message: `ECR credentials refreshed (${why}); they now expire at ${outcome.expiresAt}` });
      break;
    case 'failed':
      logger.error({ ...where, error: outcome.error, code: outcome.code }, 'refresh failed');
      await events.record(secret, { type: 'Warning', reason: EVENT_REASONS.failed, message: `Refresh failed (${why}): ${outcome.error}` });
      break;
    case 'skipped':
      logger.warn({ ...where, skipReason: outcome.reason }, 'skipped');
      break;
    case 'planned':
      break;
  }
}

/** Pure: the run's counts from its plan and the outcome of each planned refresh. */
export function summarise(
  plan: RefreshPlan,
  outcomes: readonly SecretOutcome[],
  run: Pick<RefreshSummary, 'eventsFailed' | 'provisioning' | 'dryRun' | 'durationMs' | 'apiCalls'>,
): RefreshSummary {
  const count = (status: SecretOutcome['status']): number => outcomes.filter((outcome) => outcome.status === status).length;
  return {
    found: plan.refresh.length + plan.fresh.length + plan.skipped.length,
    stale: plan.refresh.length,
    fresh: plan.fresh.length,
    refreshed: count('refreshed'),
    failed: count('failed'),
    skipped: plan.skipped.length + count('skipped'),
    ignored: plan.ignored,
    ...run,
  };
}

function logSummary(summary: RefreshSummary, logger: Logger): void {
  if (exitCodeOf(summary) === 0) summaryLogger(logger).info(summary, 'refresh run finished');
  else logger.error(summary, 'refresh run finished with failures');
}

/** The summary line is the run's record: written at info even when LOG_LEVEL asks for warn or error (not silent). */
function summaryLogger(logger: Logger): Logger {
  return logger.level === 'silent' ? logger : logger.child({}, { level: 'info' });
}

function emptySummary(options: RefreshOptions, durationMs: number, apiCalls: ApiCallCounts, failure: RunFailure): RefreshSummary {
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
    error: failure.error,
    ...(failure.code === undefined ? {} : { code: failure.code }),
  };
}
