// The refresher at scale on the real API server: 10 000 managed Secrets in 1 000 enabled namespaces (override with
// BENCH_REFRESHER_NAMESPACES / BENCH_REFRESHER_PER_NAMESPACE), the real webhook registered, the real CLI run three
// times — plan only (--dry-run), a run where every Secret is stale (10 000 patches through the webhook + Events),
// and the steady state where none is. Prints wall time, API calls (counted per HTTP request by the refresher's
// adapter, retries included) and the CLI process's peak RSS (VmHWM).
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import type { ApiCallCounts } from '../src/refresher/kubernetes.js';
import type { RefreshSummary } from '../src/refresher/run.js';
import { deleteNamespaces, ensureCluster, numberedNames, populateNamespaces, startClusterWebhook, uniqueName } from '../harness/cluster.js';
import { startEcrStandIn } from '../harness/ecr-stand-in.js';
import { CLI_PATH } from '../harness/webhook-process.js';

export interface RefresherRunFigures {
  readonly name: string;
  readonly wallMs: number;
  readonly peakRssMb: number;
  readonly apiCalls: ApiCallCounts;
  readonly summary: RefreshSummary;
}

export interface RefresherBenchResult {
  readonly namespaces: number;
  readonly secrets: number;
  /** Creating the fixtures (not the refresher's work). */
  readonly setupMs: number;
  readonly runs: readonly RefresherRunFigures[];
}

const NAMESPACES = Number(process.env.BENCH_REFRESHER_NAMESPACES ?? 1_000);
const PER_NAMESPACE = Number(process.env.BENCH_REFRESHER_PER_NAMESPACE ?? 10);
const BENCH_LABEL = 'bench.ecr-anywhere/run';

async function peakRssKb(pid: number): Promise<number | undefined> {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(await readFile(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined; // the process has exited
  }
}

/** Runs the CLI to completion, sampling its peak RSS every 20 ms (VmHWM only grows, so the last sample is the peak seen). */
async function measuredRun(name: string, args: readonly string[]): Promise<RefresherRunFigures> {
  const started = performance.now();
  const child = spawn(process.execPath, [CLI_PATH, ...args], { env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'pipe', 'inherit'] });
  let summaryLine = '';
  let buffered = '';
  child.stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    const found = lines.find((line) => line.includes('"msg":"refresh run'));
    if (found) summaryLine = found;
  });
  let peakKb = 0;
  const sampler = setInterval(() => {
    void peakRssKb(child.pid ?? 0).then((kb) => {
      if (kb !== undefined) peakKb = Math.max(peakKb, kb);
    });
  }, 20);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearInterval(sampler);
  const wallMs = performance.now() - started;
  if (!summaryLine) throw new Error(`${name}: no summary line (exit ${code})`);
  const summary = JSON.parse(summaryLine) as RefreshSummary;
  if (code !== 0) throw new Error(`${name}: exit ${code}: ${summaryLine}`);
  return { name, wallMs, peakRssMb: peakKb / 1024, apiCalls: summary.apiCalls, summary };
}

function row(run: RefresherRunFigures): string {
  const calls = run.apiCalls;
  const total = Object.values(calls).reduce((sum, count) => sum + count, 0);
  return [
    run.name.padEnd(26),
    `${(run.wallMs / 1000).toFixed(1)} s`.padStart(8),
    String(run.summary.stale).padStart(6),
    String(run.summary.refreshed).padStart(9),
    String(calls.list).padStart(5),
    String(calls.patch).padStart(6),
    String(calls.event).padStart(6),
    String(total).padStart(6),
    `${run.peakRssMb.toFixed(0)} MB`.padStart(8),
  ].join(' ');
}

export async function runRefresherBench(): Promise<RefresherBenchResult> {
  const cluster = await ensureCluster();
  const run = uniqueName('bench-rf');
  const secrets = NAMESPACES * PER_NAMESPACE;
  const standIn = await startEcrStandIn();
  let namespaces: string[] = [];
  let webhook: Awaited<ReturnType<typeof startClusterWebhook>> | undefined;
  try {
    const setupStarted = performance.now();
    // Created before the webhook is registered: every Secret starts stale (no expires_at).
    namespaces = numberedNames(run, NAMESPACES);
    await populateNamespaces(cluster, { namespaces, perNamespace: PER_NAMESPACE, labels: { [BENCH_LABEL]: run }, annotationsFor: () => undefined, concurrency: 32 });
    const setupMs = performance.now() - setupStarted;
    webhook = await startClusterWebhook(cluster, { standIn, probeNamespace: namespaces[0] ?? '', namespaceLabels: { [BENCH_LABEL]: run } });

    // warn: no line per Secret; the summary line is written whatever the level.
    const scope = ['refresh', '--kubeconfig', cluster.info.kubeconfig, '--namespace-selector', `${BENCH_LABEL}=${run}`, '--log-level', 'warn'];
    const runs = [
      await measuredRun('plan only (--dry-run)', [...scope, '--dry-run']),
      await measuredRun('all stale: plan + writes', scope),
      await measuredRun('steady state (all fresh)', scope),
    ];

    console.log(`\nRefresher on a real kube-apiserver: ${secrets} managed Secrets in ${NAMESPACES} namespaces (page size 500, concurrency 8, node ${process.version})`);
    console.log(`fixtures created in ${(setupMs / 1000).toFixed(1)} s (not part of the figures below)`);
    console.log(`${'run'.padEnd(26)} ${'wall'.padStart(8)} ${'stale'.padStart(6)} ${'refreshed'.padStart(9)} ${'lists'.padStart(5)} ${'patches'.padStart(6)} ${'events'.padStart(6)} ${'calls'.padStart(6)} ${'peak RSS'.padStart(8)}`);
    for (const figures of runs) console.log(row(figures));
    const writes = runs[1];
    if (writes) console.log(`writes: ${((writes.summary.refreshed / writes.wallMs) * 1000).toFixed(0)} Secrets refreshed and verified per second`);
    console.log(`ECR calls: ${standIn.calls.length} (the webhook's token cache serves every Secret after the first)`);
    return { namespaces: NAMESPACES, secrets, setupMs, runs };
  } finally {
    await webhook?.stop();
    await standIn.close();
    await deleteNamespaces(cluster, namespaces);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await runRefresherBench();
