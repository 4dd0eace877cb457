// Runs the real `ecr-anywhere` CLI to completion as a child process, so tests see its real exit code and output.
import { spawn } from 'node:child_process';
import type { RefreshSummary } from '../src/refresher/run.js';
import { CLI_PATH } from './webhook-process.js';

export interface CliResult {
  /** Exit code; null only if the process was killed. */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly durationMs: number;
  /** stdout parsed as JSON log lines (non-JSON lines are left out). */
  readonly logLines: ReadonlyArray<Record<string, unknown>>;
}

export async function runCli(args: readonly string[], options: { env?: Record<string, string>; timeoutMs?: number } = {}): Promise<CliResult> {
  const started = Date.now();
  // Only PATH is inherited: no ambient KUBECONFIG, AWS_* or LOG_LEVEL changes what the test means.
  const child = spawn(process.execPath, [CLI_PATH, ...args], { env: { PATH: process.env.PATH ?? '', ...options.env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const timeoutMs = options.timeoutMs ?? 120_000;
  const code = await new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (exitCode) => {
      clearTimeout(timer);
      resolve(exitCode);
    });
  });
  if (code === null) throw new Error(`ecr-anywhere ${args.join(' ')} did not finish within ${timeoutMs} ms:\n${stdout}\n${stderr}`);
  const logLines = stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
  return { code, stdout, stderr, durationMs: Date.now() - started, logLines };
}

/** The one summary line `ecr-anywhere refresh` logs per run; fails the test when it is missing. */
export function refreshSummaryOf(result: CliResult): RefreshSummary & { readonly level: string; readonly msg: string } {
  const line = result.logLines.find((entry) => typeof entry.msg === 'string' && entry.msg.startsWith('refresh run'));
  if (!line) throw new Error(`no refresh summary line in the output:\n${result.stdout.slice(-4_000)}\n${result.stderr}`);
  return line as unknown as RefreshSummary & { level: string; msg: string };
}
