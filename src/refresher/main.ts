// Runs `ecr-anywhere refresh` and `ecr-anywhere status`: client configuration (service account in a pod,
// kubeconfig elsewhere), the adapter, the run, and the exit code the CronJob reports.
import { hostname } from 'node:os';
import { describeError, errorCode, errorMessage } from '../common/errors.js';
import { loadKubeConfig } from '../common/kubernetes-client.js';
import { createLogger, type Logger } from '../common/logger.js';
import { systemClock } from '../common/time.js';
import type { ClusterScopeConfig, RefreshConfig, StatusConfig } from './config.js';
import { KubernetesRefresherCluster } from './kubernetes.js';
import { DEFAULT_RETRY_POLICY } from './retry.js';
import { exitCodeOf, runRefresh, withoutExcluded } from './run.js';
import { matchPullFailures, renderPullFailureTable, withPullFailures, type PullFailureRow } from './pull-failures.js';
import { buildStatusReport, renderStatusJson, renderStatusTable, statusExitCode, type StatusReport } from './status.js';

function connect(config: ClusterScopeConfig): KubernetesRefresherCluster {
  const kubeConfig = loadKubeConfig({ kubeconfig: config.kubeconfig, context: config.context });
  return new KubernetesRefresherCluster(kubeConfig, { pageSize: config.pageSize, requestTimeoutMs: config.requestTimeoutMs, retry: DEFAULT_RETRY_POLICY });
}

function flush(logger: Logger): Promise<void> {
  return new Promise((resolve) => logger.flush(() => resolve()));
}

export async function runRefreshCommand(config: RefreshConfig): Promise<number> {
  const logger = createLogger({ level: config.logLevel, name: 'ecr-anywhere-refresher' });
  try {
    let cluster: KubernetesRefresherCluster;
    try {
      cluster = connect(config);
    } catch (error) {
      logger.error({ error: errorMessage(error), code: errorCode(error) }, 'refresh run failed: no usable Kubernetes client configuration');
      return 1;
    }
    try {
      const summary = await runRefresh(config, { cluster, clock: systemClock, logger, instance: process.env.HOSTNAME || hostname() });
      return exitCodeOf(summary);
    } finally {
      cluster.close();
    }
  } finally {
    await flush(logger);
  }
}

/** Pods failing to pull with a managed Secret; a user who may not list Pods still gets the Secrets table. */
async function pullFailuresFor(cluster: KubernetesRefresherCluster, namespace: string | undefined, report: StatusReport): Promise<PullFailureRow[] | { unavailable: string }> {
  try {
    return matchPullFailures(await cluster.listPodPullFailures(namespace), report);
  } catch (error) {
    return { unavailable: errorMessage(error) };
  }
}

export async function runStatusCommand(config: StatusConfig, out: NodeJS.WritableStream = process.stdout): Promise<number> {
  let report;
  let pullFailures: PullFailureRow[] | { unavailable: string };
  let cluster: KubernetesRefresherCluster | undefined;
  try {
    cluster = connect(config);
    const [enabledNamespaces, secrets] = await Promise.all([
      cluster.listEnabledNamespaces({ namespace: config.namespace, namespaces: config.namespaces, extraSelector: config.namespaceSelector }),
      cluster.listManagedSecrets(config.namespaces ?? config.namespace),
    ]);
    report = buildStatusReport(secrets, withoutExcluded(enabledNamespaces, config.excludedNamespaces), systemClock(), config.thresholdMs);
    pullFailures = await pullFailuresFor(cluster, config.namespace, report);
  } catch (error) {
    process.stderr.write(`ecr-anywhere status: ${describeError(error)}\n`);
    return 1;
  } finally {
    cluster?.close();
  }
  if (config.output === 'json') {
    out.write(renderStatusJson(withPullFailures(report, pullFailures)));
  } else {
    out.write(renderStatusTable(report));
    if ('unavailable' in pullFailures) process.stderr.write(`ecr-anywhere status: Pods failing to pull are not shown: ${pullFailures.unavailable}\n`);
    else out.write(renderPullFailureTable(pullFailures));
  }
  return statusExitCode(report);
}
