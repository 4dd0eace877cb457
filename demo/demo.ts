// `npm run demo`: ecr-anywhere end to end on this machine, from nothing. Where a real node can run (Linux, root, the
// node tools from `npm run tools`), it brings up `cluster:up -- --node` and runs demo/node-demo.ts inside the node's
// network namespace: the chart's own Pods and the seed's test-pod really run. Otherwise — or with --no-node — it
// says why in one line and runs demo/host-demo.ts (control plane only, the webhook as a host process).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../harness/tools.js';
import { runHostDemo } from './host-demo.js';
import { runNodeDemo } from './node-demo.js';

const NODE_TOOLS = ['kubelet', 'kube-scheduler', 'containerd', 'runc', 'buildah'];

/** Why the real node cannot run here, or undefined when it can. */
function nodeUnavailableReason(): string | undefined {
  if (process.argv.includes('--no-node')) return '--no-node was given';
  if (process.platform !== 'linux') return `the real node needs Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'the real node needs root (network namespace, containerd, kubelet)';
  const missing = NODE_TOOLS.filter((name) => !existsSync(join(REPO_ROOT, '.tools', 'bin', name)));
  if (missing.length > 0) return `node tools missing from .tools/bin (${missing.join(', ')}): run npm run tools without ECR_ANYWHERE_SKIP_NODE`;
  return undefined;
}

function runInherited(command: string, args: string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: 'inherit', cwd: REPO_ROOT });
    // Ctrl-C reaches the child too (same process group); wait for it to finish its own clean-up.
    process.on('SIGINT', () => undefined);
    child.on('close', (code) => resolve(code ?? 1));
  });
}

async function main(): Promise<number> {
  if (process.env.ECR_ANYWHERE_NODE_NETNS) {
    await runNodeDemo();
    return 0;
  }
  let reason = nodeUnavailableReason();
  if (reason === undefined) {
    console.log('Bringing up the control plane and a real node (npm run cluster:up -- --node) ...');
    if ((await runInherited('bash', [join(REPO_ROOT, 'scripts', 'cluster-up.sh'), '--node'])) === 0) {
      return runInherited('bash', [join(REPO_ROOT, 'scripts', 'cluster-exec.sh'), process.execPath, ...process.argv.slice(1)]);
    }
    reason = 'cluster:up -- --node failed (output above)';
  }
  console.log(`No real node: ${reason}. Running the control-plane-only demo instead.`);
  await runHostDemo();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`\ndemo failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
