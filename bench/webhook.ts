// Warm-cache admissions under load: the real webhook process against a bare Fastify TLS endpoint that answers the
// same review, in one run. Prints req/s at saturation, p50/p99 at a fixed 1 000 req/s, and the ratios.
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSelfSignedServing } from '../src/webhook/certificates.js';
import { standInAwsEnv } from '../test/support/aws-env.js';
import { startEcrStandIn } from '../test/support/ecr-stand-in.js';
import { managedSecret, secretReview } from '../test/support/reviews.js';
import { postJson, startWebhookProcess } from '../test/support/webhook-process.js';
import { fixedRateLoad, type FixedRateFigures } from './fixed-rate.js';
import { load, type LoadFigures } from './load.js';

export interface WebhookBenchResult {
  readonly bare: Figures;
  readonly webhook: Figures;
  readonly throughputRatio: number;
  readonly ecrCalls: number;
}

interface Figures {
  readonly saturated: LoadFigures;
  readonly fixedRate: FixedRateFigures;
}

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const RATE = 1_000;

async function startBare(certFile: string, keyFile: string): Promise<{ port: number; pid: number; stop: () => void }> {
  const script = fileURLToPath(new URL('./bare-server.js', import.meta.url));
  const child = spawn(process.execPath, [script, certFile, keyFile], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.once('data', (chunk: Buffer) => resolve((JSON.parse(chunk.toString('utf8')) as { port: number }).port));
    child.once('exit', (code) => reject(new Error(`bare server exited with ${code}`)));
  });
  return { port, pid: child.pid ?? 0, stop: () => child.kill('SIGTERM') };
}

/**
 * On a multi-core machine the server gets a core of its own and the load generator (this process) another, so the
 * two servers are compared on equal CPU rather than on how the scheduler shares cores with the generator.
 */
const CORES = availableParallelism(); // read before pinning this process changes the answer

async function pinToCore(pid: number, core: number): Promise<boolean> {
  if (CORES < 2) return false;
  return new Promise((resolve) => execFile('taskset', ['-a', '-cp', String(core), String(pid)], (error) => resolve(!error)));
}

async function measure(port: number, body: string): Promise<Figures> {
  const url = `https://127.0.0.1:${port}/sync`;
  await load({ url, body, seconds: 2, connections: 10 }); // warm up JIT and connections
  const saturated = await load({ url, body, seconds: SECONDS, connections: 32 });
  const fixedRate = await fixedRateLoad({ port, body, ratePerSecond: RATE, seconds: SECONDS });
  return { saturated, fixedRate };
}

function ms(value: number): string {
  return value.toFixed(2).padStart(8);
}

function row(name: string, figures: Figures): string {
  const { saturated: s, fixedRate: f } = figures;
  const errors = s.errors + s.non2xx + f.failed;
  return `${name.padEnd(22)} ${s.requestsPerSecond.toFixed(0).padStart(9)} ${ms(f.p50Ms)} ${ms(f.p99Ms)} ${ms(f.maxMs)} ${String(errors).padStart(7)}`;
}

export async function runWebhookBench(): Promise<WebhookBenchResult> {
  const dir = await mkdtemp(join(tmpdir(), 'ecr-anywhere-bench-'));
  const pair = createSelfSignedServing({ hosts: ['127.0.0.1'], now: new Date(), validityDays: 1 });
  await writeFile(join(dir, 'tls.crt'), pair.certPem);
  await writeFile(join(dir, 'tls.key'), pair.keyPem);
  const standIn = await startEcrStandIn();
  const webhook = await startWebhookProcess({
    ...standInAwsEnv(standIn.url),
    CERT_FILE: join(dir, 'tls.crt'),
    KEY_FILE: join(dir, 'tls.key'),
    LOG_LEVEL: 'info',
  }, [], { keepOutput: false });
  const bare = await startBare(join(dir, 'tls.crt'), join(dir, 'tls.key'));
  const pinned = (await pinToCore(process.pid, 0)) && (await pinToCore(webhook.child.pid ?? 0, 1)) && (await pinToCore(bare.pid, 1));
  try {
    // A Secret holding junk: every admission computes and returns a full patch, the refresh path's real work.
    const body = JSON.stringify(secretReview(managedSecret()));
    await postJson(webhook.port, '/sync', JSON.parse(body), pair.caPem); // fills the token cache
    const bareFigures = await measure(bare.port, body);
    const webhookFigures = await measure(webhook.port, body);
    const throughputRatio = webhookFigures.saturated.requestsPerSecond / bareFigures.saturated.requestsPerSecond;

    console.log(`\nWebhook admissions, warm token cache (${SECONDS} s per run, TLS keep-alive, node ${process.version})`);
    console.log(pinned ? 'servers pinned to CPU 1, load generator to CPU 0' : 'not pinned (one core, or no taskset): servers share CPU with the load generator');
    console.log(`${''.padEnd(22)} ${'saturated'.padStart(9)} ${`at ${RATE} req/s, open loop`.padStart(35)}`);
    console.log(`${'endpoint'.padEnd(22)} ${'req/s'.padStart(9)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'max ms'.padStart(8)} ${'errors'.padStart(7)}`);
    console.log(row('bare Fastify TLS', bareFigures));
    console.log(row('ecr-anywhere webhook', webhookFigures));
    console.log(`throughput ratio webhook/bare: ${throughputRatio.toFixed(2)}x (target >= 0.70x)`);
    console.log(`webhook p99 at ${RATE} req/s: ${webhookFigures.fixedRate.p99Ms.toFixed(2)} ms (target <= 10 ms)`);
    console.log(`ECR calls during the whole run: ${standIn.calls.length} (1 = every measured admission hit the cache)`);
    return { bare: bareFigures, webhook: webhookFigures, throughputRatio, ecrCalls: standIn.calls.length };
  } finally {
    bare.stop();
    await webhook.stop();
    await standIn.close();
    await rm(dir, { recursive: true, force: true });
  }
}
