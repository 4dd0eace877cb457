// Starts the real `ecr-anywhere webhook` CLI as a child process and finds its ports from its JSON log.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { request, type Agent } from 'node:https';
import { fileURLToPath } from 'node:url';

/** The shipped CLI (the bundle `npm run build` writes, as the image runs it), so process tests run what users run. */
export const CLI_PATH = fileURLToPath(new URL('../bundle/cli.mjs', import.meta.url));

export interface WebhookProcess {
  readonly child: ChildProcessWithoutNullStreams;
  readonly port: number;
  readonly opsPort: number;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  exited: Promise<number | null>;
  stop(): Promise<number | null>;
}

export async function startWebhookProcess(
  env: Record<string, string>,
  args: string[] = [],
  options: {
    readonly startTimeoutMs?: number;
    /** false: keep only what was written before serving (a benchmark must not pay for collecting every log line). */
    readonly keepOutput?: boolean;
    /** Another copy of the CLI to run (default: CLI_PATH). */
    readonly cli?: string;
  } = {},
): Promise<WebhookProcess> {
  const startTimeoutMs = options.startTimeoutMs ?? 30_000;
  const child = spawn(process.execPath, [options.cli ?? CLI_PATH, 'webhook', '--port', '0', '--ops-port', '0', '--host', '127.0.0.1', ...args], {
    // No cluster unless the caller gives one (startClusterWebhook does): the namespace watch is then off.
    env: { PATH: process.env.PATH ?? '', NAMESPACE_WATCH: 'off', ...env },
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const ports = await new Promise<{ port: number; opsPort: number }>((resolve, reject) => {
    const deadline = setTimeout(() => {
      child.kill('SIGKILL'); // never leave a half-started webhook behind
      reject(new Error(`webhook did not start within ${startTimeoutMs / 1000} s:\n${output}`));
    }, startTimeoutMs);
    const check = (): void => {
      const line = output.split('\n').find((l) => l.includes('is serving POST /sync'));
      if (line) {
        clearTimeout(deadline);
        child.stdout.off('data', check); // scanning the whole output on every chunk would grow quadratically
        if (options.keepOutput === false) {
          child.stdout.removeAllListeners('data');
          child.stdout.resume();
        }
        const parsed = JSON.parse(line) as { port: number; opsPort: number };
        resolve({ port: parsed.port, opsPort: parsed.opsPort });
      }
    };
    child.stdout.on('data', check);
    void exited.then((code) => {
      clearTimeout(deadline);
      reject(new Error(`webhook exited with ${code} before serving:\n${output}`));
    });
  });
  return {
    child,
    ...ports,
    output: () => output,
    exited,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

export interface HttpsReply {
  readonly status: number;
  readonly body: string;
  readonly peerFingerprint: string;
}

/** POSTs JSON over TLS, trusting only `ca`; reports the server certificate's fingerprint. */
export function postJson(port: number, path: string, body: unknown, ca: string, agent: Agent | false = false): Promise<HttpsReply> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method: 'POST', ca, agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } },
      (res) => {
        const chunks: Buffer[] = [];
        const fingerprint = (res.socket as import('node:tls').TLSSocket).getPeerCertificate().fingerprint256;
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), peerFingerprint: fingerprint }));
      },
    );
    req.setTimeout(15_000, () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end(payload);
  });
}

export async function getText(port: number, path: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: response.status, body: await response.text() };
}
