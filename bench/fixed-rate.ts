// The fallback fixed-rate run when fortio is not installed: an open-loop load spread evenly in time (autocannon's
// rate limit sends each second's quota in a burst, which measures queueing of the burst rather than latency at that
// rate). The loop never waits for answers, so a server that falls behind shows it in the latencies — but so does
// this generator's own event loop, which is why fortio is preferred.
import { Agent, request } from 'node:https';

export interface FixedRateFigures {
  readonly sent: number;
  readonly ok: number;
  readonly failed: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

export async function fixedRateLoad(options: {
  port: number;
  body: string;
  ratePerSecond: number;
  seconds: number;
  connections: number;
}): Promise<FixedRateFigures> {
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections, rejectUnauthorized: false });
  const latencies: number[] = [];
  let failed = 0;
  const total = options.ratePerSecond * options.seconds;
  const tickMs = 5;
  const perTick = (options.ratePerSecond * tickMs) / 1000;
  const start = performance.now();
  const pending: Array<Promise<void>> = [];

  const send = (): Promise<void> =>
    new Promise((resolve) => {
      const sentAt = performance.now();
      const req = request(
        { host: '127.0.0.1', port: options.port, path: '/sync', method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(options.body) } },
        (res) => {
          res.resume();
          res.on('end', () => {
            if (res.statusCode === 200) latencies.push(performance.now() - sentAt);
            else failed += 1;
            resolve();
          });
        },
      );
      req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
      req.on('error', () => {
        failed += 1;
        resolve();
      });
      req.end(options.body);
    });

  let sent = 0;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const elapsed = performance.now() - start;
      const due = Math.min(total, Math.floor((elapsed / tickMs + 1) * perTick));
      while (sent < due) {
        pending.push(send());
        sent += 1;
      }
      if (sent >= total) {
        clearInterval(timer);
        resolve();
      }
    }, tickMs);
  });
  await Promise.all(pending);
  agent.destroy();
  const sorted = latencies.sort((a, b) => a - b);
  return { sent, ok: sorted.length, failed, p50Ms: percentile(sorted, 50), p90Ms: percentile(sorted, 90), p99Ms: percentile(sorted, 99), maxMs: sorted.at(-1) ?? Number.NaN };
}
