// The fixed-rate latency run through fortio (scripts/bench-tools.sh builds it): a compiled generator holding an
// exact request rate over keep-alive connections, with percentiles from its own histogram.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FixedRateFigures } from './fixed-rate.js';

const LINKED = fileURLToPath(new URL('../../.tools/bin/fortio', import.meta.url));

export function findFortio(): string | undefined {
  if (existsSync(LINKED)) return LINKED;
  const onPath = (process.env.PATH ?? '').split(':').map((dir) => join(dir, 'fortio')).find((candidate) => existsSync(candidate));
  return onPath;
}

interface FortioResult {
  ActualQPS: number;
  RetCodes: Record<string, number>;
  DurationHistogram: { Count: number; Max: number; Percentiles: Array<{ Percentile: number; Value: number }> };
}

export async function fortioFixedRate(options: {
  readonly fortio: string;
  readonly url: string;
  readonly bodyFile: string;
  readonly resultFile: string;
  readonly ratePerSecond: number;
  readonly seconds: number;
  readonly connections: number;
  /** Runs the generator on this CPU (taskset) so it does not share the server's. */
  readonly core?: number;
}): Promise<FixedRateFigures> {
  const args = ['load', '-quiet', '-qps', String(options.ratePerSecond), '-c', String(options.connections), '-t', `${options.seconds}s`, '-k',
    '-content-type', 'application/json', '-payload-file', options.bodyFile, '-p', '50,90,99', '-json', options.resultFile, options.url];
  const [command, commandArgs] = options.core === undefined ? [options.fortio, args] : ['taskset', ['-c', String(options.core), options.fortio, ...args]];
  await new Promise<void>((resolve, reject) =>
    execFile(command, commandArgs, { timeout: (options.seconds + 30) * 1000 }, (error) => (error ? reject(new Error(`fortio failed: ${error.message}`)) : resolve())),
  );
  const result = JSON.parse(await readFile(options.resultFile, 'utf8')) as FortioResult;
  const percentile = (p: number): number => (result.DurationHistogram.Percentiles.find((x) => x.Percentile === p)?.Value ?? Number.NaN) * 1000;
  const ok = result.RetCodes['200'] ?? 0;
  return {
    sent: result.DurationHistogram.Count,
    ok,
    failed: result.DurationHistogram.Count - ok,
    p50Ms: percentile(50),
    p90Ms: percentile(90),
    p99Ms: percentile(99),
    maxMs: result.DurationHistogram.Max * 1000,
  };
}
