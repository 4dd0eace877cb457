// Everything `ecr-anywhere mirror` talks to, on loopback: an anonymous source registry, a basic-auth source
// registry, a target registry standing in for ECR's registry endpoint (accepting only AWS:<the token the stand-in
// issues>), and the ECR API stand-in whose proxyEndpoint names that target. Shared by the e2e tests and the bench.
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { standInAwsEnv } from './aws-env.js';
import { startEcrStandIn, type EcrStandIn } from './ecr-stand-in.js';
import { startRegistry, type StartedRegistry } from './registry.js';
import { REPO_ROOT } from './tools.js';

export interface MirrorStand {
  readonly anonymousSource: StartedRegistry;
  readonly authSource: StartedRegistry;
  readonly target: StartedRegistry;
  readonly standIn: EcrStandIn;
  /** One PEM file with every CA above, for NODE_EXTRA_CA_CERTS and SSL_CERT_FILE. */
  readonly caBundle: string;
  readonly dir: string;
  /** The environment the CLI runs with: AWS variables at the stand-in, CAs, helm on PATH, a private HOME. */
  env(extra?: Record<string, string>): Record<string, string>;
  /** Another ECR stand-in on the same target (e.g. one issuing a password the target refuses, or naming a proxy). */
  startStandIn(password: string, proxyEndpoint?: string): Promise<EcrStandIn>;
  stop(): Promise<void>;
}

export async function startMirrorStand(): Promise<MirrorStand> {
  const dir = await mkdtemp(join(tmpdir(), 'ecr-anywhere-mirror-stand-'));
  const started: StartedRegistry[] = [];
  const standIns: EcrStandIn[] = [];
  try {
    const anonymousSource = await startRegistry({ anonymous: true });
    started.push(anonymousSource);
    const authSource = await startRegistry({ password: `source-${randomBytes(12).toString('hex')}` });
    started.push(authSource);
    const target = await startRegistry({ password: `ecr-token-${randomBytes(12).toString('hex')}` });
    started.push(target);
    const registryFacts = { address: target.address, ca: await readFile(target.caFile, 'utf8'), username: 'AWS', password: target.password };
    const startStandIn = async (password: string, proxyEndpoint = `https://${target.address}`): Promise<EcrStandIn> => {
      const standIn = await startEcrStandIn({ passwordFor: () => password, proxyEndpoint, registry: registryFacts });
      standIns.push(standIn);
      return standIn;
    };
    const standIn = await startStandIn(target.password);
    const caBundle = join(dir, 'ca-bundle.pem');
    await writeFile(caBundle, (await Promise.all(started.map((registry) => readFile(registry.caFile, 'utf8')))).join('\n'));
    const home = join(dir, 'home');
    return {
      anonymousSource,
      authSource,
      target,
      standIn,
      caBundle,
      dir,
      env: (extra = {}) => ({
        ...standInAwsEnv(standIn.url),
        PATH: `${join(REPO_ROOT, '.tools', 'bin')}:${process.env.PATH ?? ''}`,
        HOME: home,
        NODE_EXTRA_CA_CERTS: caBundle,
        SSL_CERT_FILE: caBundle,
        ...extra,
      }),
      startStandIn,
      stop: async () => {
        for (const each of standIns) await each.close();
        for (const registry of started) await registry.stop();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    for (const each of standIns) await each.close();
    for (const registry of started) await registry.stop();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
