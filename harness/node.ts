// The real node of `npm run cluster:up -- --node` (scripts/lib/node.sh) as tests, the demo and the chart proofs use
// it: the cluster's node facts, containerd registry mirrors for ECR hosts, images pushed from the archives that
// scripts/node-image.sh built, and Pods watched until the kubelet says what happened to them. Everything here runs
// inside the node's network namespace (scripts/cluster-exec.sh), the only place its API server is reachable.
import { execFile } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { V1Pod } from '@kubernetes/client-node';
import { ensureCluster, type TestCluster } from './cluster.js';
import type { LocalRegistry } from './registry.js';
import { REPO_ROOT, toolPath } from './tools.js';

const run = promisify(execFile);

export interface NodeInfo {
  readonly netns: string;
  readonly name: string;
  readonly nodeIP: string;
  /** The bridge address: what Pods reach the harness at (e.g. an ECR stand-in listening there). */
  readonly podGateway: string;
  readonly certsDir: string;
  readonly containerdLog: string;
  readonly kubeletLog: string;
  readonly containerdSocket: string;
  /** oci-archives made by scripts/node-image.sh: the project's image and the seed's private test image. */
  readonly images: { readonly project: string; readonly test: string };
}

export interface NodeCluster extends TestCluster {
  readonly node: NodeInfo;
}

/** Why a node test cannot run here, or false when it can (inside the namespace, as `npm run test:node` runs it). */
export function nodeUnavailable(): string | false {
  if (process.env.ECR_ANYWHERE_NODE_NETNS) return false;
  return 'needs the real node: run `npm run test:node` (root, Linux; cluster:up -- --node, then the tests inside its namespace)';
}

/** The harness cluster with its node (cluster-up.sh, run from inside the namespace, keeps or brings up the node). */
export async function ensureNodeCluster(): Promise<NodeCluster> {
  const cluster = await ensureCluster();
  const node = JSON.parse(await readFile(join(REPO_ROOT, '.cluster', 'node.json'), 'utf8')) as NodeInfo;
  return { ...cluster, node };
}

/** The registry's CA file and its log (registry-up.sh keeps both next to the cert dir). */
export function registryFiles(registry: LocalRegistry): { readonly caFile: string; readonly log: string; readonly dir: string } {
  const dir = dirname(registry.certDir);
  return { caFile: join(registry.certDir, 'ca.crt'), log: join(dir, 'registry.log'), dir };
}

/**
 * Points containerd at `registry` for `host` (an ECR host name): hosts.toml with both `server` and a `[host]` table.
 * With `server` alone containerd 1.6 logs "invalid 'host' tree" and falls back to the real host name — a DNS lookup.
 * containerd reads the file on every pull, so this takes effect at once.
 */
export async function mirrorEcrHost(node: NodeInfo, host: string, registry: LocalRegistry): Promise<void> {
  const endpoint = `https://${registry.address}`;
  const dir = join(node.certsDir, host);
  await mkdir(dir, { recursive: true });
  await writeFile(
    join(dir, 'hosts.toml'),
    `# Written by harness/node.ts: ${host} is served by the local registry.\nserver = "${endpoint}"\n\n[host."${endpoint}"]\n  capabilities = ["pull", "resolve"]\n  ca = "${registryFiles(registry).caFile}"\n`,
  );
}

export async function removeMirror(node: NodeInfo, host: string): Promise<void> {
  await rm(join(node.certsDir, host), { recursive: true, force: true });
}

/** Pushes an oci-archive into the registry as `repository:tag`, with the registry's own (current) password. */
export async function pushImage(registry: LocalRegistry, archive: string, repositoryTag: string): Promise<void> {
  const policy = registry.policyFile;
  await run(
    toolPath('skopeo'),
    ['--policy', policy, 'copy', '--quiet', '--dest-cert-dir', registry.certDir, '--dest-creds', `AWS:${registry.password}`, `oci-archive:${archive}`, `docker://${registry.address}/${repositoryTag}`],
    { timeout: 120_000 },
  );
}

/** Drops an image from containerd, so the next Pod really pulls it (no "already present on machine"). */
export async function forgetImage(node: NodeInfo, reference: string): Promise<void> {
  await run(toolPath('ctr'), ['--address', node.containerdSocket, '-n', 'k8s.io', 'images', 'rm', reference], { timeout: 30_000 }).catch(() => undefined);
}

/**
 * Restarts the registry so that it accepts exactly `password` (Docker Distribution reads htpasswd only at start;
 * registry-up.sh keeps the port). Returns the registry with the new password.
 */
export async function setRegistryPassword(registry: LocalRegistry, password: string): Promise<LocalRegistry> {
  const { dir } = registryFiles(registry);
  await run('bash', [join(REPO_ROOT, 'scripts', 'registry-up.sh'), dir], {
    env: { ...process.env, REGISTRY_PASSWORD: password, REGISTRY_SKIP_PUSH: '1' },
    timeout: 60_000,
  });
  const address = (await readFile(join(dir, 'registry.addr'), 'utf8')).trim();
  if (address !== registry.address) throw new Error(`the registry moved from ${registry.address} to ${address} on restart`);
  return { ...registry, password };
}

/** The reason a Pod's first container is waiting for (ErrImagePull, ImagePullBackOff, ...), if it is. */
export function waitingReason(pod: V1Pod): string | undefined {
  return pod.status?.containerStatuses?.[0]?.state?.waiting?.reason;
}

/** Polls a Pod until `accept` holds; the error names the last phase and waiting reason. */
export async function waitForPod(cluster: TestCluster, namespace: string, name: string, accept: (pod: V1Pod) => boolean, what: string, timeoutMs = 90_000): Promise<V1Pod> {
  const deadline = Date.now() + timeoutMs;
  let last: V1Pod | undefined;
  for (;;) {
    last = await cluster.core.readNamespacedPod({ namespace, name }).catch(() => undefined);
    if (last && accept(last)) return last;
    if (Date.now() > deadline) {
      const state = last ? `${last.status?.phase ?? '?'} / ${waitingReason(last) ?? '-'}: ${last.status?.containerStatuses?.[0]?.state?.waiting?.message ?? ''}` : 'not found';
      throw new Error(`pod ${namespace}/${name} was not ${what} within ${timeoutMs / 1000} s (last: ${state})`);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

export const isRunning = (pod: V1Pod): boolean => pod.status?.phase === 'Running' || pod.status?.phase === 'Succeeded';

/** The kubelet's events for one Pod, oldest first, as "Reason: message". */
export async function podEvents(cluster: TestCluster, namespace: string, name: string): Promise<string[]> {
  const events = await cluster.core.listNamespacedEvent({ namespace, fieldSelector: `involvedObject.kind=Pod,involvedObject.name=${name}` });
  return events.items
    .sort((a, b) => String(a.lastTimestamp ?? a.eventTime ?? '').localeCompare(String(b.lastTimestamp ?? b.eventTime ?? '')))
    .map((event) => `${event.reason ?? ''}: ${event.message ?? ''}`);
}

/** Deletes a namespace and waits until it is gone (fixed names such as the seed's `test` must be free first). */
export async function deleteNamespaceAndWait(cluster: TestCluster, name: string, timeoutMs = 90_000): Promise<void> {
  await cluster.core.deleteNamespace({ name, gracePeriodSeconds: 0 }).catch(() => undefined);
  const deadline = Date.now() + timeoutMs;
  while (await cluster.core.readNamespace({ name }).then(() => true, () => false)) {
    if (Date.now() > deadline) throw new Error(`namespace ${name} was not deleted within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** Lines of the runtime's logs that show a name lookup (none may happen: every registry is a mirror on loopback). */
export async function lookupsLogged(node: NodeInfo): Promise<string[]> {
  const logs = await Promise.all([node.containerdLog, node.kubeletLog].map((file) => readFile(file, 'utf8')));
  return logs.flatMap((text) => text.split('\n')).filter((line) => /\blookup\b|no such host|server misbehaving|i\/o timeout.*:53\b/i.test(line));
}
