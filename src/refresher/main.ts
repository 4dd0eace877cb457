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
import { exitCodeOf, runRefresh } from './run.js';
import { buildStatusReport, renderStatusJson, renderStatusTable, statusExitCode } from './status.js';

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

export async function runStatusCommand(config: StatusConfig, out: NodeJS.WritableStream = process.stdout): Promise<number> {
  let report;
  let cluster: KubernetesRefresherCluster | undefined;
  try {
    cluster = connect(config);
    const [enabledNamespaces, secrets] = await Promise.all([
      cluster.listEnabledNamespaces({ namespace: config.namespace, extraSelector: config.namespaceSelector }),
      cluster.listManagedSecrets(config.namespace),
    ]);
    report = buildStatusReport(secrets, enabledNamespaces, systemClock(), config.thresholdMs);
  } catch (error) {
    process.stderr.write(`ecr-anywhere status: ${describeError(error)}\n`);
    return 1;
  } finally {
    cluster?.close();
  }
  out.write(config.output === 'json' ? renderStatusJson(report) : renderStatusTable(report));
  return statusExitCode(report);
}
