// moto's server (PyPI `moto[server]`, installed by `npm run tools`) as the STS stand-in for web-identity role
// sessions: the real AWS SDK reaches it through AWS_ENDPOINT_URL_STS, and its AssumeRoleWithWebIdentity honours
// DurationSeconds (1 h unless asked otherwise, as STS). Loopback only, on a free port; stopped by PID.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toolPath } from './tools.js';

export interface MotoSts {
  readonly url: string;
  /** Standard AWS variables for web identity through this stand-in (no static keys). */
  webIdentityEnv(roleArn?: string): Record<string, string>;
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function waitUntilServing(url: string, child: ChildProcess, output: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`moto_server exited with ${child.exitCode}:\n${output()}`);
    try {
      const response = await fetch(`${url}/moto-api/`, { signal: AbortSignal.timeout(1_000) });
      if (response.status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`moto_server did not serve within ${timeoutMs} ms:\n${output()}`);
}

export async function startMotoSts(options: { readonly startTimeoutMs?: number } = {}): Promise<MotoSts> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(toolPath('moto_server'), ['-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output = (output + chunk.toString('utf8')).slice(-8_000)));
  child.stderr?.on('data', (chunk: Buffer) => (output = (output + chunk.toString('utf8')).slice(-8_000)));
  const dir = await mkdtemp(join(tmpdir(), 'ecr-anywhere-sts-'));
  const tokenFile = join(dir, 'token');
  // A JWT-shaped web identity token: moto does not verify it, as the real STS would against the OIDC issuer.
  await writeFile(tokenFile, 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6ZWNyOndlYmhvb2sifQ.');
  const close = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitUntilServing(url, child, () => output, options.startTimeoutMs ?? 30_000);
  } catch (error) {
    await close();
    throw error;
  }
  return {
    url,
    webIdentityEnv: (roleArn = 'arn:aws:iam::123456789012:role/ecr-anywhere-webhook') => ({
      AWS_ROLE_ARN: roleArn,
      AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile,
      AWS_ROLE_SESSION_NAME: 'ecr-anywhere-webhook',
      AWS_ENDPOINT_URL_STS: url,
    }),
    close,
  };
}
