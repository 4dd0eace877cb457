// A real OCI registry (Debian's docker-registry, started by scripts/registry-up.sh) that accepts exactly one
// password — the one the ECR stand-in issues — and skopeo to prove that an injected dockerconfigjson pulls with it.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT, toolPath } from './tools.js';

const run = promisify(execFile);

export interface LocalRegistry {
  readonly address: string;
  readonly password: string;
  readonly image: string;
  readonly certDir: string;
  readonly policyFile: string;
  stop(): Promise<void>;
}

export interface RegistryOptions {
  /** The one password (user AWS) the registry accepts; ignored when anonymous. */
  readonly password?: string;
  /** No auth at all: anyone may pull and push. */
  readonly anonymous?: boolean;
}

/** A registry as scripts/registry-up.sh starts it, with the paths a test needs to talk to it over TLS. */
export interface StartedRegistry extends LocalRegistry {
  readonly dir: string;
  readonly user: string;
  readonly caFile: string;
  /** PEM of the CA and of the serving certificate and key (reused by other loopback TLS servers in tests). */
  readonly tlsCertFile: string;
  readonly tlsKeyFile: string;
}

export async function startRegistry(options: RegistryOptions = {}): Promise<StartedRegistry> {
  const dir = await mkdtemp(join(tmpdir(), 'ecr-anywhere-registry-'));
  const script = join(REPO_ROOT, 'scripts', 'registry-up.sh');
  const env: NodeJS.ProcessEnv = { ...process.env, ...(options.anonymous === true ? { REGISTRY_ANONYMOUS: '1' } : { REGISTRY_PASSWORD: options.password ?? '' }) };
  await run('bash', [script, dir], { env, timeout: 60_000 });
  const address = (await readFile(join(dir, 'registry.addr'), 'utf8')).trim();
  return {
    dir,
    address,
    user: 'AWS',
    password: options.password ?? '',
    image: 'ecr-anywhere/test:v1',
    certDir: join(dir, 'certs'),
    caFile: join(dir, 'ca.crt'),
    tlsCertFile: join(dir, 'tls.crt'),
    tlsKeyFile: join(dir, 'tls.key'),
    policyFile: join(dir, 'policy.json'),
    stop: async () => {
      await run('bash', [join(REPO_ROOT, 'scripts', 'registry-down.sh'), dir, '--purge'], { timeout: 30_000 });
    },
  };
}

export function startLocalRegistry(password: string): Promise<LocalRegistry> {
  return startRegistry({ password });
}

/**
 * Runs `skopeo inspect` for the registry's test image with the credentials of `dockerConfigJson` for `ecrHost`.
 * The registry does not live at the ECR host, so the auth file files the very same entry under the registry's
 * address; the credential itself is untouched. Resolves with the image digest, rejects with skopeo's error.
 */
export async function inspectWithDockerConfig(registry: LocalRegistry, dockerConfigJson: string, ecrHost: string): Promise<string> {
  const config = JSON.parse(dockerConfigJson) as { auths?: Record<string, unknown> };
  const entry = config.auths?.[ecrHost];
  if (entry === undefined) throw new Error(`the dockerconfigjson has no entry for ${ecrHost}`);
  const dir = await mkdtemp(join(tmpdir(), 'ecr-anywhere-auth-'));
  try {
    const authFile = join(dir, 'auth.json');
    await writeFile(authFile, JSON.stringify({ auths: { [registry.address]: entry } }), { mode: 0o600 });
    const { stdout } = await run(
      toolPath('skopeo'),
      ['--policy', registry.policyFile, 'inspect', '--authfile', authFile, '--cert-dir', registry.certDir, `docker://${registry.address}/${registry.image}`],
      { timeout: 30_000 },
    );
    return (JSON.parse(stdout) as { Digest: string }).Digest;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
