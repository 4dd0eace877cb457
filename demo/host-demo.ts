// `npm run demo` where no real node can run (not root, not Linux, tools missing): a local control plane (etcd +
// kube-apiserver), an ECR stand-in, a real OCI registry that accepts exactly the tokens "ECR" issues, the Helm chart
// installed for real, and the webhook running on this host (no kubelet here, so the chart's Pods cannot run).
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MANAGED_LABEL, NAMESPACE_LABEL, PREFIX } from '../src/common/names.js';
import { createSelfSignedServing } from '../src/tls/certificates.js';
import { standInAwsEnv } from '../harness/aws-env.js';
import { runCli } from '../harness/cli-process.js';
import { ensureCluster } from '../harness/cluster.js';
import { defaultPassword, startEcrStandIn } from '../harness/ecr-stand-in.js';
import { inspectWithDockerConfig, startLocalRegistry } from '../harness/registry.js';
import { REPO_ROOT, toolPath } from '../harness/tools.js';
import { elapsedSeconds, masked, step, tool } from './steps.js';
import { startWebhookProcess } from '../harness/webhook-process.js';

const RELEASE = 'ecr-anywhere';
const RELEASE_NAMESPACE = 'ecr-anywhere';
const DEMO_NAMESPACE = 'demo';
const ECR_HOST = '123456789012.dkr.ecr.us-east-1.amazonaws.com';

/** The demo without a node: the chart's webhook configuration calls the webhook as a host process. */
export async function runHostDemo(): Promise<void> {
  const wait = process.env.CI !== 'true' && !process.argv.includes('--no-wait');
  const workDir = join(REPO_ROOT, '.demo');
  await mkdir(workDir, { recursive: true });

  step('Starting a local control plane (etcd + kube-apiserver + kube-controller-manager on loopback)');
  const cluster = await ensureCluster();
  const kubeconfig = cluster.info.kubeconfig;
  console.log(`    KUBECONFIG=${kubeconfig}  (${cluster.info.server})`);

  step('Starting an ECR stand-in (AWS JSON 1.1) and a registry that accepts exactly the tokens it issues');
  const issuedPassword = `demo-${randomBytes(24).toString('base64url')}`;
  const standIn = await startEcrStandIn({ passwordFor: (region, n) => (region === 'us-east-1' ? issuedPassword : defaultPassword(region, n)) });
  const registry = await startLocalRegistry(issuedPassword);
  console.log(`    ECR stand-in: ${standIn.url} (the real AWS SDK reaches it through AWS_ENDPOINT_URL_ECR)`);
  console.log(`    registry:     ${registry.address}/${registry.image}`);

  step('Starting the webhook on this host (TLS, the same binary the chart runs)');
  const serving = createSelfSignedServing({ hosts: ['127.0.0.1', 'localhost'], now: new Date(), validityDays: 7 });
  await writeFile(join(workDir, 'tls.crt'), serving.certPem);
  await writeFile(join(workDir, 'tls.key'), serving.keyPem, { mode: 0o600 });
  const webhook = await startWebhookProcess({
    ...standInAwsEnv(standIn.url),
    CERT_FILE: join(workDir, 'tls.crt'),
    KEY_FILE: join(workDir, 'tls.key'),
    LOG_LEVEL: 'info',
  });
  console.log(`    https://127.0.0.1:${webhook.port}/sync   metrics: http://127.0.0.1:${webhook.opsPort}/metrics`);

  const stop = async (): Promise<void> => {
    // The chart's webhook configuration points at this process and fails closed: remove it before the process goes.
    await tool('helm', ['--kubeconfig', kubeconfig, 'uninstall', RELEASE, '-n', RELEASE_NAMESPACE]).catch(() => undefined);
    await webhook.stop();
    await registry.stop();
    await standIn.close();
  };

  try {
    step(`helm install ${RELEASE} ./chart (every object validated by the API server)`);
    await tool('kubectl', ['--kubeconfig', kubeconfig, 'create', 'namespace', RELEASE_NAMESPACE]).catch(() => undefined);
    await tool('kubectl', ['--kubeconfig', kubeconfig, '-n', RELEASE_NAMESPACE, 'create', 'secret', 'tls', 'ecr-anywhere-demo-tls', `--cert=${join(workDir, 'tls.crt')}`, `--key=${join(workDir, 'tls.key')}`, '--dry-run=client', '-o', 'yaml'])
      .then((yaml) => tool('kubectl', ['--kubeconfig', kubeconfig, 'apply', '-f', '-'], yaml));
    await tool('helm', [
      '--kubeconfig', kubeconfig, 'upgrade', '--install', RELEASE, join(REPO_ROOT, 'chart'), '-n', RELEASE_NAMESPACE,
      '--set', 'aws.region=us-east-1', '--set', 'tls.mode=manual', '--set', 'tls.manual.secretName=ecr-anywhere-demo-tls',
      '--set', `tls.manual.caBundle=${Buffer.from(serving.caPem).toString('base64')}`,
      // No kubelet runs here, so the chart's Pods never start: its webhook configuration calls the host process.
      '--set', `webhook.url=https://127.0.0.1:${webhook.port}/sync`,
    ]);
    console.log(`    installed; the chart's MutatingWebhookConfiguration calls https://127.0.0.1:${webhook.port}/sync`);

    step(`Labeling namespace "${DEMO_NAMESPACE}" and creating the Secret from the original README (.dockerconfigjson: "FAKE")`);
    const manifest = `apiVersion: v1
kind: Namespace
metadata:
  name: ${DEMO_NAMESPACE}
  labels:
    ${NAMESPACE_LABEL}: "enabled"
---
apiVersion: v1
kind: Secret
metadata:
  name: ecr-secret
  namespace: ${DEMO_NAMESPACE}
  labels:
    ${MANAGED_LABEL}: "true"
type: kubernetes.io/dockerconfigjson
data:
  .dockerconfigjson: "FAKE"
`;
    await writeFile(join(workDir, 'seed.yaml'), manifest);
    console.log((await tool('kubectl', ['--kubeconfig', kubeconfig, 'apply', '-f', join(workDir, 'seed.yaml')])).trimEnd().replace(/^/gm, '    '));

    step('The Secret as stored by the API server');
    const secret = await cluster.core.readNamespacedSecret({ namespace: DEMO_NAMESPACE, name: 'ecr-secret' });
    for (const [key, value] of Object.entries(secret.metadata?.annotations ?? {})) {
      if (key.startsWith(PREFIX)) console.log(`    ${key}: ${value}`);
    }
    const dockerConfigJson = Buffer.from(secret.data?.['.dockerconfigjson'] ?? '', 'base64').toString('utf8');
    const auths = (JSON.parse(dockerConfigJson) as { auths: Record<string, { username: string; password: string }> }).auths;
    for (const [host, entry] of Object.entries(auths)) console.log(`    auths[${host}] = { username: ${entry.username}, password: ${masked(entry.password)} }`);

    step('Pulling the test image with exactly those credentials (skopeo inspect)');
    const digest = await inspectWithDockerConfig(registry, dockerConfigJson, ECR_HOST);
    console.log(`    ${registry.address}/${registry.image}@${digest}`);

    step('ecr-anywhere status');
    const status = await runCli(['status', '--namespace', DEMO_NAMESPACE, '--kubeconfig', kubeconfig], { env: {} });
    console.log(status.stdout.trimEnd().replace(/^/gm, '    '));

    step('ecr-anywhere refresh --force (what the CronJob runs, forced so the fresh Secret is refreshed too)');
    const refresh = await runCli(['refresh', '--force', '--namespace', DEMO_NAMESPACE, '--kubeconfig', kubeconfig], { env: {} });
    const summary = refresh.logLines.find((line) => typeof line.found === 'number') ?? {};
    const { found, stale, refreshed, failed, durationMs } = summary;
    console.log(`    exit ${refresh.code}: found ${String(found)}, stale ${String(stale)}, refreshed ${String(refreshed)}, failed ${String(failed)} in ${String(durationMs)} ms`);

    console.log(`\n\x1b[1mDone in ${elapsedSeconds()} s.\x1b[0m Try next:
    export KUBECONFIG=${kubeconfig}
    ${toolPath('kubectl')} get secret -n ${DEMO_NAMESPACE} ecr-secret -o yaml
    ${toolPath('kubectl')} create secret docker-registry other -n ${DEMO_NAMESPACE} --docker-server=x --docker-username=x --docker-password=x && \\
      ${toolPath('kubectl')} label secret other -n ${DEMO_NAMESPACE} ${MANAGED_LABEL}=true
    node dist/bundle/cli.mjs status --namespace ${DEMO_NAMESPACE}    # table of managed Secrets
    curl -s http://127.0.0.1:${webhook.opsPort}/metrics | grep ecr_anywhere_admissions
    npm run cluster:down                              # stop the control plane when finished`);
    if (wait) {
      console.log('\nThe webhook, ECR stand-in and registry keep running until you press Ctrl-C (which also uninstalls the release).');
      await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
    }
  } finally {
    await stop();
  }
}

