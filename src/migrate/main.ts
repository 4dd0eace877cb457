// Runs `ecr-anywhere migrate`: client configuration, the inventory, the plan, and with --apply the changes; prints
// the table (or JSON) and returns the exit code.
import { describeError } from '../common/errors.js';
import { loadKubeConfig } from '../common/kubernetes-client.js';
import { systemClock } from '../common/time.js';
import type { MigrateConfig } from './config.js';
import { KubernetesMigrationCluster } from './kubernetes.js';
import { migrationExitCode, type MigrationRow } from './plan.js';
import { renderMigrationJson, renderMigrationTable } from './report.js';
import { applyMigration, planFor, readInventory } from './run.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function runMigrateCommand(config: MigrateConfig, out: NodeJS.WritableStream = process.stdout): Promise<number> {
  let rows: readonly MigrationRow[];
  let cluster: KubernetesMigrationCluster | undefined;
  try {
    cluster = new KubernetesMigrationCluster(loadKubeConfig({ kubeconfig: config.kubeconfig, context: config.context }), { requestTimeoutMs: config.requestTimeoutMs });
    const options = { namespaces: config.namespaces, secretName: config.secretName };
    const plan = planFor(config.from, await readInventory(cluster, config.from, options), options, systemClock());
    rows = config.apply ? await applyMigration(plan, cluster, { clock: systemClock, sleep }) : plan.rows;
  } catch (error) {
    process.stderr.write(`ecr-anywhere migrate: ${describeError(error)}\n`);
    return 1;
  } finally {
    cluster?.close();
  }
  out.write(config.output === 'json' ? renderMigrationJson(config.from, rows, config.apply) : renderMigrationTable(config.from, rows, config.apply));
  return migrationExitCode(rows);
}
