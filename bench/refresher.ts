// The refresher at scale on the real API server: 10 000 managed Secrets in 1 000 enabled namespaces (override with
// BENCH_REFRESHER_NAMESPACES / BENCH_REFRESHER_PER_NAMESPACE), each holding an ECR-sized .dockerconfigjson (three
// registries, ~2 000-character passwords), the real webhook registered (its stand-in ECR issues passwords of that
// size too). First the plan alone in its own process, listing whole Secrets as before issue 12 and metadata only as
// now (peak RSS and wall time, and their ratio); then the real CLI three times — plan only (--dry-run), a run where
// every Secret is stale (10 000 patches through the webhook + Events), and the steady state where none is. Prints
// wall time, API calls (counted per HTTP request by the refresher's adapter, retries included) and peak RSS (VmHWM).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { bundle } from '../build/bundle.js';
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

/** How the plan script is loaded: bundled as the CLI ships (dist/bundle), or as the compiled modules under dist/. */
export type PlanForm = 'bundle' | 'modules';

export interface PlanFigures {
  readonly mode: 'full' | 'metadata';
  readonly form: PlanForm;
  readonly wallMs: number;
  readonly peakRssMb: number;
  readonly found: number;
}

export interface RefresherBenchResult {
  readonly namespaces: number;
  readonly secrets: number;
  /** Bytes of one fixture Secret's .dockerconfigjson (decoded). */
  readonly dockerConfigBytes: number;
  /** Creating the fixtures (not the refresher's work). */
  readonly setupMs: number;
  readonly plans: readonly PlanFigures[];
  readonly runs: readonly RefresherRunFigures[];
}

const PLAN_SCRIPT = fileURLToPath(new URL('./refresher-plan.js', import.meta.url));
const PLAN_BUNDLE_DIR = fileURLToPath(new URL('../bench-bundle/', import.meta.url));
const PLAN_SCRIPTS: Record<PlanForm, string> = { bundle: join(PLAN_BUNDLE_DIR, 'refresher-plan.mjs'), modules: PLAN_SCRIPT };
/** ECR passwords are ~2 000 characters. */
const ECR_PASSWORD_LENGTH = 2_000;
const FIXTURE_REGISTRIES = ['111111111111.dkr.ecr.us-east-1.amazonaws.com', '222222222222.dkr.ecr.eu-west-1.amazonaws.com', '333333333333.dkr.ecr.ap-south-1.amazonaws.com'];

function ecrSizedPassword(): string {
  return randomBytes(Math.ceil((ECR_PASSWORD_LENGTH * 3) / 4)).toString('base64').slice(0, ECR_PASSWORD_LENGTH);
}

/** A .dockerconfigjson as the webhook writes it for three registries, one fresh password each. */
function ecrSizedDockerConfig(): string {
  const auths = Object.fromEntries(
    FIXTURE_REGISTRIES.map((host) => {
      const password = ecrSizedPassword();
      return [host, { username: 'AWS', password, auth: Buffer.from(`AWS:${password}`).toString('base64') }];
    }),
  );
  return JSON.stringify({ auths });
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
  const rss = samplePeakRss(child.pid);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const peakRssMb = rss.stop();
  const wallMs = performance.now() - started;
  if (!summaryLine) throw new Error(`${name}: no summary line (exit ${code})`);
  const summary = JSON.parse(summaryLine) as RefreshSummary;
  if (code !== 0) throw new Error(`${name}: exit ${code}: ${summaryLine}`);
  return { name, wallMs, peakRssMb, apiCalls: summary.apiCalls, summary };
}

/** Peak RSS (VmHWM) of a child process, sampled every 20 ms until it exits. */
function samplePeakRss(pid: number | undefined): { stop(): number } {
  let peakKb = 0;
  const sampler = setInterval(() => {
    void peakRssKb(pid ?? 0).then((kb) => {
      if (kb !== undefined) peakKb = Math.max(peakKb, kb);
    });
  }, 20);
  return {
    stop: () => {
      clearInterval(sampler);
      return peakKb / 1024;
    },
  };
}

/** The plan alone, in its own process (bench/refresher-plan.ts). */
async function measuredPlan(mode: 'full' | 'metadata', form: PlanForm, kubeconfig: string, selector: string, expected: number): Promise<PlanFigures> {
  const started = performance.now();
  const child = spawn(process.execPath, [PLAN_SCRIPTS[form], mode, kubeconfig, selector], { env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'pipe', 'inherit'] });
  const rss = samplePeakRss(child.pid);
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const peakRssMb = rss.stop();
  if (code !== 0) throw new Error(`plan (${mode}, ${form}): exit ${code}: ${output}`);
  const result = JSON.parse(output.trim()) as { found: number };
  if (result.found !== expected) throw new Error(`plan (${mode}, ${form}) found ${result.found} managed Secrets, expected ${expected}`);
  return { mode, form, wallMs: performance.now() - started, peakRssMb, found: result.found };
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

/**
 * Waits (bounded) until no namespace is being deleted: an earlier run's 10 000 Secrets take the controller-manager a
 * few minutes to remove, and an API server busy with that made the plan 2–3× slower and its peak RSS ~15 MB higher.
 */
async function quietApiServer(cluster: Awaited<ReturnType<typeof ensureCluster>>): Promise<void> {
  const deadline = Date.now() + 10 * 60_000;
  for (;;) {
    const terminating = (await cluster.core.listNamespace()).items.filter((namespace) => namespace.status?.phase === 'Terminating').length;
    if (terminating === 0) return;
    if (Date.now() > deadline) {
      console.log(`warning: ${terminating} namespaces are still being deleted; the figures below may be slower than usual`);
      return;
    }
    console.log(`waiting for ${terminating} namespaces of an earlier run to be deleted…`);
    await new Promise((resolve) => setTimeout(resolve, 10_000));
  }
}

export async function runRefresherBench(): Promise<RefresherBenchResult> {
  const cluster = await ensureCluster();
  await quietApiServer(cluster);
  const run = uniqueName('bench-rf');
  const secrets = NAMESPACES * PER_NAMESPACE;
  const standIn = await startEcrStandIn({ passwordFor: () => ecrSizedPassword() });
  const dockerConfig = ecrSizedDockerConfig();
  const dockerConfigData = Buffer.from(dockerConfig).toString('base64');
  let namespaces: string[] = [];
  let webhook: Awaited<ReturnType<typeof startClusterWebhook>> | undefined;
  try {
    const setupStarted = performance.now();
    // Created before the webhook is registered: every Secret starts stale (no expires_at).
    namespaces = numberedNames(run, NAMESPACES);
    await populateNamespaces(cluster, {
      namespaces,
      perNamespace: PER_NAMESPACE,
      labels: { [BENCH_LABEL]: run },
      annotationsFor: () => undefined,
      dataFor: () => ({ '.dockerconfigjson': dockerConfigData }),
      concurrency: 32,
    });
    const setupMs = performance.now() - setupStarted;
    webhook = await startClusterWebhook(cluster, { standIn, probeNamespace: namespaces[0] ?? '', namespaceLabels: { [BENCH_LABEL]: run } });

    const selector = `${BENCH_LABEL}=${run}`;
    // Before and after, bundled as the CLI ships, alternated twice so neither benefits from a warmer API server; and
    // the same plan loaded as separate modules, which is what bundling saves.
    await bundle({ entryPoints: [PLAN_SCRIPT], outdir: PLAN_BUNDLE_DIR });
    const kinds: ReadonlyArray<readonly ['full' | 'metadata', PlanForm]> = [['full', 'bundle'], ['metadata', 'bundle'], ['metadata', 'modules']];
    const plans: PlanFigures[] = [];
    for (let round = 0; round < 2; round += 1) {
      for (const [mode, form] of kinds) plans.push(await measuredPlan(mode, form, cluster.info.kubeconfig, selector, secrets));
    }

    // warn: no line per Secret; the summary line is written whatever the level.
    const scope = ['refresh', '--kubeconfig', cluster.info.kubeconfig, '--namespace-selector', selector, '--log-level', 'warn'];
    const runs = [
      await measuredRun('plan only (--dry-run)', [...scope, '--dry-run']),
      await measuredRun('all stale: plan + writes', scope),
      await measuredRun('steady state (all fresh)', scope),
    ];

    console.log(`\nRefresher on a real kube-apiserver: ${secrets} managed Secrets in ${NAMESPACES} namespaces (page size 500, concurrency 8, node ${process.version})`);
    console.log(`fixtures created in ${(setupMs / 1000).toFixed(1)} s (not part of the figures below); each .dockerconfigjson ${dockerConfig.length} bytes (${FIXTURE_REGISTRIES.length} registries, ${ECR_PASSWORD_LENGTH}-character passwords)`);
    console.log(`${'plan (list + plan, own process)'.padEnd(50)} ${'wall'.padStart(8)} ${'peak RSS'.padStart(9)}`);
    for (const plan of plans) {
      const label = `${plan.mode === 'full' ? 'before: whole Secrets' : 'after: metadata only'}, ${plan.form === 'bundle' ? 'bundled (as shipped)' : 'separate modules'}`;
      console.log(`${label.padEnd(50)} ${`${(plan.wallMs / 1000).toFixed(1)} s`.padStart(8)} ${`${plan.peakRssMb.toFixed(0)} MB`.padStart(9)}`);
    }
    const best = (mode: 'full' | 'metadata', form: PlanForm, figure: 'wallMs' | 'peakRssMb'): number =>
      Math.min(...plans.filter((plan) => plan.mode === mode && plan.form === form).map((plan) => plan[figure]));
    const ratio = (figure: 'wallMs' | 'peakRssMb', over: readonly ['full' | 'metadata', PlanForm]): string => (best('metadata', 'bundle', figure) / best(...over, figure)).toFixed(2);
    console.log(`after/before, bundled (best of 2): wall ${ratio('wallMs', ['full', 'bundle'])}x, peak RSS ${ratio('peakRssMb', ['full', 'bundle'])}x`);
    console.log(`bundled/separate modules, metadata (best of 2): wall ${ratio('wallMs', ['metadata', 'modules'])}x, peak RSS ${ratio('peakRssMb', ['metadata', 'modules'])}x`);
    console.log(`plan peak RSS, bundled as shipped: ${best('metadata', 'bundle', 'peakRssMb').toFixed(0)} MB (goal <= 100 MB)`);
    console.log(`${'run'.padEnd(26)} ${'wall'.padStart(8)} ${'stale'.padStart(6)} ${'refreshed'.padStart(9)} ${'lists'.padStart(5)} ${'patches'.padStart(6)} ${'events'.padStart(6)} ${'calls'.padStart(6)} ${'peak RSS'.padStart(8)}`);
    for (const figures of runs) console.log(row(figures));
    const writes = runs[1];
    if (writes) console.log(`writes: ${((writes.summary.refreshed / writes.wallMs) * 1000).toFixed(0)} Secrets refreshed and verified per second`);
    console.log(`ECR calls: ${standIn.calls.length} (the webhook's token cache serves every Secret after the first)`);
    return { namespaces: NAMESPACES, secrets, dockerConfigBytes: dockerConfig.length, setupMs, plans, runs };
  } finally {
    await webhook?.stop();
    await standIn.close();
    await deleteNamespaces(cluster, namespaces);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await runRefresherBench();
