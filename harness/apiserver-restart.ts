// Restarts the harness's kube-apiserver in place, as a control-plane upgrade or crash would: the running process
// (found by its PID file) is stopped, and started again with exactly its own command line, log file and PID file,
// so scripts/cluster-down.sh still finds it. Waits until it serves again. e2e files run one at a time
// (--test-concurrency=1), so no other test shares the restart.
import { spawn } from 'node:child_process';
import { existsSync, openSync, closeSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestCluster } from './cluster.js';
import { sleep, until } from './poll.js';
import { REPO_ROOT } from './tools.js';

const CLUSTER_DIR = join(REPO_ROOT, '.cluster');

export interface ApiServerRestart {
  /** From the stop signal until the API server answered a list again. */
  readonly downMs: number;
}

export async function restartApiServer(cluster: TestCluster, timeoutMs = 90_000): Promise<ApiServerRestart> {
  const pidFile = join(CLUSTER_DIR, 'kube-apiserver.pid');
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  const executable = readlinkSync(`/proc/${pid}/exe`);
  const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((arg) => arg !== '').slice(1);
  const stopped = Date.now();
  process.kill(pid, 'SIGTERM');
  const gone = Date.now() + 30_000;
  while (existsSync(`/proc/${pid}`)) {
    if (Date.now() > gone) process.kill(pid, 'SIGKILL');
    await sleep(100);
  }
  const log = openSync(join(CLUSTER_DIR, 'kube-apiserver.log'), 'a');
  try {
    const child = spawn(executable, args, { detached: true, stdio: ['ignore', log, log] });
    child.unref();
    writeFileSync(pidFile, `${child.pid}\n`);
  } finally {
    closeSync(log);
  }
  await until('kube-apiserver serving again', timeoutMs, () => cluster.core.listNamespace({ limit: 1 }).then(() => true, () => undefined), 250);
  return { downMs: Date.now() - stopped };
}
