// Warm-cache admissions under load: the real webhook process against bare Fastify TLS endpoints that answer the
// same review, in one run. Prints req/s and server CPU per request at saturation (autocannon), latency percentiles
// at a fixed 1 000 req/s (fortio, or the Node fallback), and the ratios.
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSelfSignedServing } from '../src/tls/certificates.js';
import { standInAwsEnv } from '../harness/aws-env.js';
import { startEcrStandIn } from '../harness/ecr-stand-in.js';
import { managedSecret, secretReview } from '../harness/reviews.js';
import { getText, postJson, startWebhookProcess } from '../harness/webhook-process.js';
import { fixedRateLoad, type FixedRateFigures } from './fixed-rate.js';
import { findFortio, fortioFixedRate } from './fortio.js';
import { load, type LoadFigures } from './load.js';
import { processMemory, type ProcessMemory } from './process-memory.js';
import { processCpuMs } from './server-cpu.js';

/** Length of each fixed-rate run. */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
/**
 * Saturated runs: many short rounds alternating the endpoints. A shared VM speeds up and slows down by 10–20 % over
 * tens of seconds; endpoints measured seconds apart see the same machine, and ratios taken round by round cancel
 * what they share.
 */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 8);
const ROUND_SECONDS = Number(process.env.BENCH_ROUND_SECONDS ?? 5);
const RATE = 1_000;
const RATE_CONNECTIONS = (process.env.BENCH_RATE_CONNECTIONS ?? '1,4,16').split(',').map(Number);
/** A real ECR password is about 2 KB; the size of every answer and most of the webhook's work follow from it. */
const PASSWORD_CHARS = Number(process.env.BENCH_PASSWORD_CHARS ?? 2_000);
/** Read before pinning this process changes the answer. */
const CORES = availableParallelism();

interface Endpoint {
  readonly name: string;
  readonly port: number;
  readonly pid: number;
}

interface SaturatedRun extends LoadFigures {
  /** Server CPU per answered request, µs; undefined without /proc. */
  readonly cpuPerRequestUs: number | undefined;
  /** Server CPU time / wall time during the run: below ~0.95 the generator, not the server, was the limit. */
  readonly serverBusy: number | undefined;
}

export interface WebhookBenchResult {
  readonly saturated: Record<string, SaturatedRun>;
  readonly fixedRate: Record<string, Record<number, FixedRateFigures>>;
  readonly throughputRatio: number;
  readonly cpuRatio: number | undefined;
  readonly ecrCalls: number;
  /** Admissions whose answer waited on an ECR call (the webhook's own counter): at most the first one. */
  readonly waitedOnEcr: number | undefined;
  readonly admissions: number | undefined;
  /** Resident memory per endpoint: idle (started, one review answered) and the peak over the whole run. */
  readonly memory: Record<string, { readonly idle: ProcessMemory | undefined; readonly peak: ProcessMemory | undefined }>;
}

async function startBare(certFile: string, keyFile: string, answerFile?: string): Promise<{ port: number; pid: number; stop: () => void }> {
  const script = fileURLToPath(new URL('./bare-server.js', import.meta.url));
  const child = spawn(process.execPath, [script, certFile, keyFile, ...(answerFile ? [answerFile] : [])], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.once('data', (chunk: Buffer) => resolve((JSON.parse(chunk.toString('utf8')) as { port: number }).port));
    child.once('exit', (code) => reject(new Error(`bare server exited with ${code}`)));
  });
  return { port, pid: child.pid ?? 0, stop: () => child.kill('SIGTERM') };
}

/** On a multi-core machine the servers get CPU 1 and the load generators CPU 0: servers compared on equal CPU. */
async function pinToCore(pid: number, core: number): Promise<boolean> {
  if (CORES < 2) return false;
  return new Promise((resolve) => execFile('taskset', ['-a', '-cp', String(core), String(pid)], (error) => resolve(!error)));
}

const urlOf = (endpoint: Endpoint): string => `https://127.0.0.1:${endpoint.port}/sync`;

async function saturate(endpoint: Endpoint, body: string): Promise<SaturatedRun> {
  const cpuBefore = processCpuMs(endpoint.pid);
  const started = performance.now();
  const figures = await load({ url: urlOf(endpoint), body, seconds: ROUND_SECONDS, connections: 32 });
  const wallMs = performance.now() - started;
  const cpuAfter = processCpuMs(endpoint.pid);
  const cpuMs = cpuBefore === undefined || cpuAfter === undefined ? undefined : cpuAfter - cpuBefore;
  return {
    ...figures,
    cpuPerRequestUs: cpuMs === undefined ? undefined : (cpuMs * 1000) / figures.total,
    serverBusy: cpuMs === undefined ? undefined : cpuMs / wallMs,
  };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** The run with the median req/s of an endpoint's rounds, so one noisy round does not decide. */
function medianRun(runs: readonly SaturatedRun[]): SaturatedRun {
  const target = median(runs.map((run) => run.requestsPerSecond));
  const cpu = runs.flatMap((run) => (run.cpuPerRequestUs === undefined ? [] : [run.cpuPerRequestUs]));
  const closest = runs.reduce((best, run) => (Math.abs(run.requestsPerSecond - target) < Math.abs(best.requestsPerSecond - target) ? run : best));
  return { ...closest, requestsPerSecond: target, cpuPerRequestUs: cpu.length > 0 ? median(cpu) : undefined };
}

interface PairedRatio {
  readonly median: number;
  readonly low: number;
  readonly high: number;
}

/** Round-by-round ratios of two endpoints' figures: their median and range. */
function pairedRatio(numerators: readonly number[], denominators: readonly number[]): PairedRatio {
  const ratios = numerators.map((value, round) => value / denominators[round]!);
  return { median: median(ratios), low: Math.min(...ratios), high: Math.max(...ratios) };
}

/** The samples of one series in Prometheus text format, labels ignored. */
function samplesOf(metrics: string, name: string): number[] {
  return metrics
    .split('\n')
    .filter((line) => line.startsWith(`${name} `) || line.startsWith(`${name}{`))
    .map((line) => Number(line.slice(line.lastIndexOf(' ') + 1)));
}
const counterValue = (metrics: string, name: string): number | undefined => samplesOf(metrics, name)[0];
const counterSum = (metrics: string, name: string): number | undefined => {
  const samples = samplesOf(metrics, name);
  return samples.length === 0 ? undefined : samples.reduce((sum, value) => sum + value, 0);
};

const fixed = (value: number | undefined, digits: number, width: number): string => (value === undefined ? '-' : value.toFixed(digits)).padStart(width);

export async function runWebhookBench(): Promise<WebhookBenchResult> {
  const dir = await mkdtemp(join(tmpdir(), 'ecr-anywhere-bench-'));
  const pair = createSelfSignedServing({ hosts: ['127.0.0.1'], now: new Date(), validityDays: 1 });
  const certFile = join(dir, 'tls.crt');
  const keyFile = join(dir, 'tls.key');
  await writeFile(certFile, pair.certPem);
  await writeFile(keyFile, pair.keyPem);
  const standIn = await startEcrStandIn({ passwordFor: (region, sequence) => `${region}-${sequence}-`.padEnd(PASSWORD_CHARS, 'x') });
  const webhook = await startWebhookProcess(
    { ...standInAwsEnv(standIn.url), CERT_FILE: certFile, KEY_FILE: keyFile, LOG_LEVEL: 'info' },
    [],
    { keepOutput: false },
  );
  const stops: Array<() => void> = [];
  try {
    // A Secret holding junk: every admission computes and returns a full patch, the refresh path's real work.
    const review = secretReview(managedSecret());
    const body = JSON.stringify(review);
    const bodyFile = join(dir, 'review.json');
    await writeFile(bodyFile, body);
    const answer = await postJson(webhook.port, '/sync', review, pair.caPem); // fills the token cache
    const answerFile = join(dir, 'answer.json');
    await writeFile(answerFile, answer.body);
    const sameAnswer = await startBare(certFile, keyFile, answerFile);
    const tinyAnswer = await startBare(certFile, keyFile);
    stops.push(sameAnswer.stop, tinyAnswer.stop);
    const endpoints: Endpoint[] = [
      { name: 'bare, same answer', port: sameAnswer.port, pid: sameAnswer.pid },
      { name: 'ecr-anywhere webhook', port: webhook.port, pid: webhook.child.pid ?? 0 },
      { name: 'bare, tiny answer', port: tinyAnswer.port, pid: tinyAnswer.pid },
    ];
    // Idle: started and one review answered (the webhook's token cache is warm), before any load.
    await postJson(sameAnswer.port, '/sync', review, pair.caPem);
    const idle = Object.fromEntries(endpoints.map((endpoint) => [endpoint.name, processMemory(endpoint.pid)]));
    let pinned = await pinToCore(process.pid, 0);
    for (const endpoint of endpoints) pinned = (await pinToCore(endpoint.pid, 1)) && pinned;

    // Warm up each endpoint's JIT once; then rounds alternate the endpoints, so a slow spell of a shared machine
    // falls on all of them.
    for (const endpoint of endpoints) await load({ url: urlOf(endpoint), body, seconds: 3, connections: 32 });
    const runs = new Map<string, SaturatedRun[]>(endpoints.map((endpoint) => [endpoint.name, []]));
    for (let round = 0; round < ROUNDS; round += 1) {
      for (const endpoint of endpoints) runs.get(endpoint.name)!.push(await saturate(endpoint, body));
    }
    const saturated = Object.fromEntries([...runs].map(([name, list]) => [name, medianRun(list)]));

    const fortio = findFortio();
    const fixedRate: Record<string, Record<number, FixedRateFigures>> = {};
    for (const endpoint of endpoints.slice(0, 2)) {
      fixedRate[endpoint.name] = {};
      for (const connections of RATE_CONNECTIONS) {
        fixedRate[endpoint.name]![connections] = fortio
          ? await fortioFixedRate({
              fortio,
              url: `https://127.0.0.1:${endpoint.port}/sync`,
              bodyFile,
              resultFile: join(dir, 'fortio.json'),
              ratePerSecond: RATE,
              seconds: SECONDS,
              connections,
              ...(pinned ? { core: 0 } : {}),
            })
          : await fixedRateLoad({ port: endpoint.port, body, ratePerSecond: RATE, seconds: SECONDS, connections });
      }
    }

    const memory = Object.fromEntries(endpoints.map((endpoint) => [endpoint.name, { idle: idle[endpoint.name], peak: processMemory(endpoint.pid) }]));
    const bareRuns = runs.get('bare, same answer')!;
    const hookRuns = runs.get('ecr-anywhere webhook')!;
    const throughput = pairedRatio(
      hookRuns.map((run) => run.requestsPerSecond),
      bareRuns.map((run) => run.requestsPerSecond),
    );
    const cpuKnown = [...bareRuns, ...hookRuns].every((run) => run.cpuPerRequestUs !== undefined);
    const capacity = cpuKnown
      ? pairedRatio(
          bareRuns.map((run) => run.cpuPerRequestUs!),
          hookRuns.map((run) => run.cpuPerRequestUs!),
        )
      : undefined;
    const throughputRatio = throughput.median;
    const cpuRatio = capacity?.median;

    console.log(`\nWebhook admissions, warm token cache, ${PASSWORD_CHARS}-character ECR password (answer ${answer.body.length} bytes), node ${process.version}`);
    console.log(pinned ? 'servers pinned to CPU 1, load generators to CPU 0' : 'not pinned (one core, or no taskset): servers share CPU with the load generators');
    console.log(`\nsaturated: autocannon, 32 connections, ${ROUNDS} alternating rounds of ${ROUND_SECONDS} s, medians`);
    console.log(`${'endpoint'.padEnd(22)} ${'req/s'.padStart(8)} ${'CPU µs/req'.padStart(11)} ${'server busy'.padStart(12)} ${'p50 ms'.padStart(7)} ${'p99 ms'.padStart(7)} ${'errors'.padStart(7)}`);
    for (const [name, run] of Object.entries(saturated)) {
      console.log(`${name.padEnd(22)} ${fixed(run.requestsPerSecond, 0, 8)} ${fixed(run.cpuPerRequestUs, 1, 11)} ${fixed(run.serverBusy === undefined ? undefined : run.serverBusy * 100, 0, 11)}% ${fixed(run.p50Ms, 1, 7)} ${fixed(run.p99Ms, 1, 7)} ${String(run.errors + run.non2xx).padStart(7)}`);
    }
    console.log(`\nat ${RATE} req/s: ${fortio ? 'fortio (fixed rate over keep-alive connections)' : 'Node open-loop fallback (run scripts/bench-tools.sh for fortio)'}, ${SECONDS} s each`);
    console.log(`${'endpoint'.padEnd(22)} ${'conns'.padStart(5)} ${'p50 ms'.padStart(7)} ${'p90 ms'.padStart(7)} ${'p99 ms'.padStart(7)} ${'max ms'.padStart(7)} ${'failed'.padStart(7)}`);
    for (const [name, byConnections] of Object.entries(fixedRate)) {
      for (const [connections, f] of Object.entries(byConnections)) {
        console.log(`${name.padEnd(22)} ${connections.padStart(5)} ${fixed(f.p50Ms, 2, 7)} ${fixed(f.p90Ms, 2, 7)} ${fixed(f.p99Ms, 2, 7)} ${fixed(f.maxMs, 1, 7)} ${String(f.failed).padStart(7)}`);
      }
    }
    const range = (ratio: PairedRatio): string => `rounds ${ratio.low.toFixed(2)}–${ratio.high.toFixed(2)}`;
    console.log(`\nthroughput ratio webhook / bare (same answer), median of rounds: ${throughput.median.toFixed(2)}x (${range(throughput)}; floor >= 0.60x)`);
    if (capacity) console.log(`capacity ratio per core (bare CPU/req ÷ webhook CPU/req), median of rounds: ${capacity.median.toFixed(2)}x (${range(capacity)})`);
    const webhookP99 = Object.entries(fixedRate['ecr-anywhere webhook'] ?? {}).map(([c, f]) => `${f.p99Ms.toFixed(2)} ms with ${c} conn`).join(', ');
    console.log(`webhook p99 at ${RATE} req/s: ${webhookP99} (target <= 10 ms)`);
    console.log(`ECR calls during the whole run: ${standIn.calls.length} (1 = every measured admission hit the cache)`);
    const metrics = (await getText(webhook.opsPort, '/metrics')).body;
    const waitedOnEcr = counterValue(metrics, 'ecr_anywhere_admissions_waited_on_ecr_total');
    const admissions = counterSum(metrics, 'ecr_anywhere_admissions_total');
    console.log(`admissions that waited on ECR (ecr_anywhere_admissions_waited_on_ecr_total): ${waitedOnEcr ?? '-'} of ${admissions ?? '-'} answered (after start only a cold cache may wait: 0 or 1)`);
    console.log(`\nresident memory (MiB): idle = started and one review answered; peak = high-water mark over the whole run`);
    for (const [name, figures] of Object.entries(memory)) {
      console.log(`${name.padEnd(22)} idle ${fixed(figures.idle?.rssMiB, 0, 5)}  peak ${fixed(figures.peak?.peakMiB, 0, 5)}`);
    }
    const hookPeak = memory['ecr-anywhere webhook']?.peak?.peakMiB;
    const barePeak = memory['bare, same answer']?.peak?.peakMiB;
    if (hookPeak !== undefined && barePeak !== undefined) console.log(`peak memory ratio webhook / bare (same answer): ${(hookPeak / barePeak).toFixed(2)}x (goal <= 1.20x)`);
    return { saturated, fixedRate, throughputRatio, cpuRatio, ecrCalls: standIn.calls.length, waitedOnEcr, admissions, memory };
  } finally {
    for (const stop of stops) stop();
    await webhook.stop();
    await standIn.close();
    await rm(dir, { recursive: true, force: true });
  }
}
