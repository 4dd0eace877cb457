// Optional provisioning (off by default): in every enabled namespace, make sure a managed Secret of the configured
// name exists (created nearly empty; the webhook fills it in the same request) and that the named ServiceAccounts
// list it in imagePullSecrets. Existing Secrets and existing imagePullSecrets entries are never replaced.
import { KubernetesError } from '../common/kubernetes-client.js';
import type { Logger } from '../common/logger.js';
import { PROTECTED_NAMESPACES } from '../common/names.js';
import type { Clock } from '../common/time.js';
import type { ProvisioningConfig } from './config.js';
import { EVENT_REASONS, type EventSpec } from './events.js';
import type { NamespaceScope, RefresherCluster } from './kubernetes.js';
import type { ManagedSecretInfo } from './plan.js';
import { mapBounded } from './pool.js';
import { imagePullSecretsWith, namespacesMissingSecret } from './provision-plan.js';
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

type CreateOutcome = 'created' | 'conflict' | 'gone' | 'failed' | 'planned';

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A namespace deleted during the run: nothing to provision there any more. */
function namespaceGone(error: unknown): boolean {
  return error instanceof KubernetesError && (error.status === 404 || (error.status === 403 && error.message.includes('being terminated')));
}

export async function provision(config: ProvisioningConfig, scope: ProvisionScope, deps: ProvisionDeps): Promise<ProvisionSummary> {
  const { cluster, logger } = deps;
  const secretName = config.secretName;

  const createIn = async (namespace: string): Promise<CreateOutcome> => {
    // `secret`, not `name`: pino's own `name` field is the program's.
    const where = { namespace, secret: secretName };
    if (scope.dryRun) {
      logger.info(where, 'would create the managed Secret (dry run)');
      return 'planned';
    }
    try {
      const result = await cluster.createManagedSecret({ namespace, name: secretName });
      if (!('created' in result)) {
        logger.warn(where, 'a Secret of that name exists but is not labeled managed: left alone');
        return 'conflict';
      }
      const verdict = verifyRefreshed(result.created, deps.clock(), scope.thresholdMs);
      if (verdict.ok) {
        logger.info({ ...where, expiresAt: verdict.expiresAt }, 'provisioned');
        await deps.record(result.created, { type: 'Normal', reason: EVENT_REASONS.provisioned, message: `Created by provisioning; ECR credentials expire at ${verdict.expiresAt}` });
        return 'created';
      }
      logger.error({ ...where, error: verdict.error }, 'provisioned Secret was not filled');
      await deps.record(result.created, { type: 'Warning', reason: EVENT_REASONS.failed, message: `Created by provisioning, but ${verdict.error}` });
      return 'failed';
    } catch (error) {
      if (namespaceGone(error)) {
        logger.warn({ ...where, error: errorMessage(error) }, 'namespace deleted during the run: not provisioned');
        return 'gone';
      }
      logger.error({ ...where, error: errorMessage(error) }, 'could not create the managed Secret');
      return 'failed';
    }
  };

  const missing = namespacesMissingSecret(scope.enabledNamespaces, scope.managed, secretName);
  const created = await mapBounded(missing, scope.concurrency, createIn);
  // ServiceAccounts only point at a Secret that is (now) there and ours.
  const withSecret = new Set(scope.managed.filter((secret) => secret.name === secretName).map((secret) => secret.namespace));
  missing.forEach((namespace, index) => {
    if (created[index] === 'created' || created[index] === 'failed' || created[index] === 'planned') withSecret.add(namespace);
  });

  let serviceAccountsUpdated = 0;
  let serviceAccountsMissing = 0;
  let failed = created.filter((outcome) => outcome === 'failed').length;
  for (const accountName of config.serviceAccounts) {
    let accounts;
    try {
      accounts = (await cluster.listServiceAccounts(accountName, scope.namespace)).filter(
        (account) => withSecret.has(account.namespace) && !PROTECTED_NAMESPACES.has(account.namespace),
      );
    } catch (error) {
      logger.error({ serviceAccount: accountName, error: errorMessage(error) }, 'could not list ServiceAccounts');
      failed += 1;
      continue;
    }
    serviceAccountsMissing += withSecret.size - accounts.length;
    const results = await mapBounded(accounts, scope.concurrency, async (account) => {
      const where = { namespace: account.namespace, serviceAccount: account.name, secret: secretName };
      if (imagePullSecretsWith(account.imagePullSecrets, secretName) === undefined) return 'present';
      if (scope.dryRun) {
        logger.info(where, 'would add the Secret to imagePullSecrets (dry run)');
        return 'planned';
      }
      try {
        const result = await cluster.addImagePullSecret(account, secretName);
        if (result === 'added') logger.info(where, 'added the Secret to imagePullSecrets');
        return result;
      } catch (error) {
        if (namespaceGone(error)) return 'no-service-account';
        logger.error({ ...where, error: errorMessage(error) }, 'could not add the Secret to imagePullSecrets');
        return 'failed';
      }
    });
    serviceAccountsUpdated += results.filter((result) => result === 'added').length;
    serviceAccountsMissing += results.filter((result) => result === 'no-service-account').length;
    failed += results.filter((result) => result === 'failed').length;
  }
  if (serviceAccountsMissing > 0) {
    logger.info({ serviceAccounts: config.serviceAccounts, missing: serviceAccountsMissing }, 'some enabled namespaces lack a named ServiceAccount: not patched there');
  }
  return {
    created: created.filter((outcome) => outcome === 'created').length,
    conflicts: created.filter((outcome) => outcome === 'conflict').length,
    serviceAccountsUpdated,
    serviceAccountsMissing,
    failed,
  };
}
