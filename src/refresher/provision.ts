// Optional provisioning (off by default): in every enabled namespace, make sure a managed Secret of the configured
// name exists (created nearly empty; the webhook fills it in the same request) and that the named ServiceAccounts
// list it in imagePullSecrets. Existing Secrets and existing imagePullSecrets entries are never replaced.
// Plan (provision-plan.ts, pure) → execute (create, then link, each item reporting its own outcome) → summarise.
import { errorCode, errorMessage } from '../common/errors.js';
import { apiStatusOf } from '../common/kubernetes-client.js';
import type { Logger } from '../common/logger.js';
import { mapBounded } from '../common/pool.js';
import type { Clock } from '../common/time.js';
import type { ProvisioningConfig } from './config.js';
import { EVENT_REASONS, type EventSpec } from './events.js';
import type { ImagePullSecretResult, NamespaceScope, RefresherCluster, ServiceAccountInfo } from './kubernetes.js';
import type { ManagedSecretInfo } from './plan.js';
import { imagePullSecretsWith } from '../common/image-pull-secrets.js';
import { namespacesMissingSecret, namespacesWithSecret, serviceAccountsToLink, type CreateOutcome } from './provision-plan.js';
import { verifyRefreshed } from './verify.js';

export interface ProvisionSummary {
  /** Secrets created and verified filled by the webhook. */
  readonly created: number;
  /** Namespaces where a Secret of that name exists but is not labeled managed: left alone. */
  readonly conflicts: number;
  readonly serviceAccountsUpdated: number;
  /** Enabled namespaces without the named ServiceAccount. */
  readonly serviceAccountsMissing: number;
  readonly failed: number;
}

export interface ProvisionScope {
  readonly namespace: NamespaceScope;
  readonly enabledNamespaces: ReadonlySet<string>;
  readonly managed: readonly ManagedSecretInfo[];
  readonly thresholdMs: number;
  readonly dryRun: boolean;
  readonly concurrency: number;
}

export interface ProvisionDeps {
  readonly cluster: RefresherCluster;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly record: (secret: ManagedSecretInfo, spec: EventSpec) => Promise<void>;
}

export type LinkOutcome = ImagePullSecretResult | 'failed' | 'planned';

/** What linking one ServiceAccount name came to: undefined results when the accounts could not even be listed. */
export interface LinkRound {
  readonly results: readonly LinkOutcome[] | undefined;
  /** Namespaces holding the Secret where no account of that name was listed. */
  readonly notListed: number;
}

/** A namespace deleted during the run: nothing to provision there any more. */
function namespaceGone(error: unknown): boolean {
  const status = apiStatusOf(error);
  return status === 404 || (status === 403 && errorMessage(error).includes('being terminated'));
}

export async function provision(config: ProvisioningConfig, scope: ProvisionScope, deps: ProvisionDeps): Promise<ProvisionSummary> {
  const missing = namespacesMissingSecret(scope.enabledNamespaces, scope.managed, config.secretName);
  const created = await mapBounded(missing, scope.concurrency, (namespace) => createSecretIn(namespace, config.secretName, scope, deps));
  // ServiceAccounts only point at a Secret that is (now) there and ours.
  const withSecret = namespacesWithSecret(scope.enabledNamespaces, scope.managed, config.secretName, missing, created);
  const rounds: LinkRound[] = [];
  for (const accountName of config.serviceAccounts) rounds.push(await linkServiceAccounts(accountName, config.secretName, withSecret, scope, deps));

  const summary = summariseProvisioning(created, rounds);
  if (summary.serviceAccountsMissing > 0) {
    deps.logger.info({ serviceAccounts: config.serviceAccounts, missing: summary.serviceAccountsMissing }, 'some enabled namespaces lack a named ServiceAccount: not patched there');
  }
  return summary;
}

/** Creates the Secret in one namespace and proves the webhook filled it. */
async function createSecretIn(namespace: string, secretName: string, scope: ProvisionScope, deps: ProvisionDeps): Promise<CreateOutcome> {
  // `secret`, not `name`: pino's own `name` field is the program's.
  const where = { namespace, secret: secretName };
  if (scope.dryRun) {
    deps.logger.info(where, 'would create the managed Secret (dry run)');
    return 'planned';
  }
  try {
    const result = await deps.cluster.createManagedSecret({ namespace, name: secretName });
    if (!('created' in result)) {
      deps.logger.warn(where, 'a Secret of that name exists but is not labeled managed: left alone');
      return 'conflict';
    }
    const verdict = verifyRefreshed(result.created, deps.clock(), scope.thresholdMs);
    if (verdict.ok) {
      deps.logger.info({ ...where, expiresAt: verdict.expiresAt }, 'provisioned');
      await deps.record(result.created, { type: 'Normal', reason: EVENT_REASONS.provisioned, message: `Created by provisioning; ECR credentials expire at ${verdict.expiresAt}` });
      return 'created';
    }
    deps.logger.error({ ...where, error: verdict.error }, 'provisioned Secret was not filled');
    await deps.record(result.created, { type: 'Warning', reason: EVENT_REASONS.failed, message: `Created by provisioning, but ${verdict.error}` });
    return 'failed';
  } catch (error) {
    if (namespaceGone(error)) {
      deps.logger.warn({ ...where, error: errorMessage(error) }, 'namespace deleted during the run: not provisioned');
      return 'gone';
    }
    deps.logger.error({ ...where, error: errorMessage(error), code: errorCode(error) }, 'could not create the managed Secret');
    return 'failed';
  }
}

/** Adds the Secret to every ServiceAccount of that name in the namespaces that hold it. */
async function linkServiceAccounts(
  accountName: string,
  secretName: string,
  withSecret: ReadonlySet<string>,
  scope: ProvisionScope,
  deps: ProvisionDeps,
): Promise<LinkRound> {
  let accounts: ServiceAccountInfo[];
  try {
    accounts = serviceAccountsToLink(await deps.cluster.listServiceAccounts(accountName, scope.namespace), withSecret);
  } catch (error) {
    deps.logger.error({ serviceAccount: accountName, error: errorMessage(error), code: errorCode(error) }, 'could not list ServiceAccounts');
    return { results: undefined, notListed: 0 };
  }
  const results = await mapBounded(accounts, scope.concurrency, (account) => linkServiceAccount(account, secretName, scope.dryRun, deps));
  return { results, notListed: withSecret.size - accounts.length };
}

async function linkServiceAccount(account: ServiceAccountInfo, secretName: string, dryRun: boolean, deps: ProvisionDeps): Promise<LinkOutcome> {
  const where = { namespace: account.namespace, serviceAccount: account.name, secret: secretName };
  if (imagePullSecretsWith(account.imagePullSecrets, secretName) === undefined) return 'present';
  if (dryRun) {
    deps.logger.info(where, 'would add the Secret to imagePullSecrets (dry run)');
    return 'planned';
  }
  try {
    const result = await deps.cluster.addImagePullSecret(account, secretName);
    if (result === 'added') deps.logger.info(where, 'added the Secret to imagePullSecrets');
    return result;
  } catch (error) {
    if (namespaceGone(error)) return 'no-service-account';
    deps.logger.error({ ...where, error: errorMessage(error), code: errorCode(error) }, 'could not add the Secret to imagePullSecrets');
    return 'failed';
  }
}

/** Pure: the counts of one provisioning pass. A ServiceAccount name that could not be listed counts as one failure. */
export function summariseProvisioning(created: readonly CreateOutcome[], rounds: readonly LinkRound[]): ProvisionSummary {
  const results = rounds.flatMap((round) => round.results ?? []);
  const count = <T>(items: readonly T[], wanted: T): number => items.filter((item) => item === wanted).length;
  return {
    created: count(created, 'created'),
    conflicts: count(created, 'conflict'),
    serviceAccountsUpdated: count(results, 'added'),
    serviceAccountsMissing: rounds.reduce((sum, round) => sum + round.notListed, 0) + count(results, 'no-service-account'),
    failed: count(created, 'failed') + count(results, 'failed') + rounds.filter((round) => round.results === undefined).length,
  };
}
