// `npm run demo` on the real node (runs inside its network namespace, started by demo.ts): an ECR stand-in, a registry
// that accepts exactly the token "ECR" issues and serves the image buildah built from the Dockerfile, the chart
// installed for real (its Pods run that image), then the seed's own manifest applied as it stands — Namespace `test`,
// Secret `ecr-secret`, Pod `test-pod` — until that Pod runs from the private image. The cluster objects are left in
// place for the user to inspect with `npm run cluster:exec -- kubectl …`.
import { randomBytes } from 'node:crypto';
import { AppsV1Api } from '@kubernetes/client-node';
import { standInAwsEnv } from '../harness/aws-env.js';
import { runCli } from '../harness/cli-process.js';
import { startEcrStandIn } from '../harness/ecr-stand-in.js';
import { CHART_DIR, withValuesFile } from '../harness/helm.js';
import { deleteNamespaceAndWait, ensureNodeCluster, forgetImage, isRunning, mirrorEcrHost, podEvents, pushImage, waitForPod } from '../harness/node.js';
import { startLocalRegistry } from '../harness/registry.js';
import { SEED_ECR_HOST, SEED_IMAGE, SEED_MANIFEST, SEED_NAMESPACE, SEED_POD, SEED_REPOSITORY_TAG, SEED_SECRET } from '../harness/seed-manifest.js';
import { elapsedSeconds, indented, masked, step, tool } from './steps.js';

const RELEASE = 'ecr-anywhere';
const RELEASE_NAMESPACE = 'ecr-anywhere';
const IMAGE_REPOSITORY = `${SEED_ECR_HOST}/ecr-anywhere`;
const IMAGE_TAG = 'node';

export async function runNodeDemo(): Promise<void> {
  const wait = process.env.CI !== 'true' && !process.argv.includes('--no-wait');
  step('The cluster and its real node (kubelet + containerd + runc, inside the network namespace of the harness)');
  const cluster = await ensureNodeCluster();
  const kubectl = (args: string[], stdin?: string): Promise<string> => tool('kubectl', ['--kubeconfig', cluster.info.kubeconfig, ...args], stdin);
  console.log(indented(await kubectl(['get', 'nodes', '-o', 'wide'])));

  step('An ECR stand-in (account 544849402588) and a registry that accepts exactly the tokens it issues');
  const token = `demo-${randomBytes(24).toString('base64url')}`;
  const standIn = await startEcrStandIn({ accountId: '544849402588', host: cluster.node.podGateway, passwordFor: () => token });
  const registry = await startLocalRegistry(token);
  await mirrorEcrHost(cluster.node, SEED_ECR_HOST, registry);
  console.log(`    ECR stand-in: ${standIn.url} (the webhook Pods reach it through AWS_ENDPOINT_URL_ECR)`);
  console.log(`    registry:     ${registry.address}, containerd's mirror for ${SEED_ECR_HOST} (certs.d/hosts.toml)`);

  try {
    step(`Pushing the image buildah built from the Dockerfile as ${IMAGE_REPOSITORY}:${IMAGE_TAG}, and the seed's ${SEED_REPOSITORY_TAG}`);
    await pushImage(registry, cluster.node.images.project, `ecr-anywhere:${IMAGE_TAG}`);
    await pushImage(registry, cluster.node.images.test, SEED_REPOSITORY_TAG);

    step(`helm install ${RELEASE} ./chart: the webhook Deployment and the refresher CronJob run that image on the node`);
    // A re-run starts over: this run's stand-in and token are new.
    await tool('helm', ['--kubeconfig', cluster.info.kubeconfig, 'uninstall', RELEASE, '-n', RELEASE_NAMESPACE, '--wait']).catch(() => undefined);
    await kubectl(['create', 'namespace', RELEASE_NAMESPACE]).catch(() => undefined);
    // The chart's own image is private too: a plain pull Secret for it (the webhook never acts in its own namespace).
    const pullSecret = await kubectl(['-n', RELEASE_NAMESPACE, 'create', 'secret', 'docker-registry', 'ecr-anywhere-image', `--docker-server=${SEED_ECR_HOST}`, '--docker-username=AWS', `--docker-password=${token}`, '--dry-run=client', '-o', 'yaml']);
    await kubectl(['apply', '-f', '-'], pullSecret);
    const env = Object.entries(standInAwsEnv(standIn.url)).filter(([name]) => name !== 'AWS_REGION').map(([name, value]) => ({ name, value }));
    const values = { aws: { region: 'us-east-1', env }, image: { repository: IMAGE_REPOSITORY, tag: IMAGE_TAG, pullPolicy: 'Always' }, imagePullSecrets: [{ name: 'ecr-anywhere-image' }] };
    await withValuesFile(values, (file) =>
      tool('helm', ['--kubeconfig', cluster.info.kubeconfig, 'upgrade', '--install', RELEASE, CHART_DIR, '-n', RELEASE_NAMESPACE, '--values', file, '--wait', '--timeout', '100s']),
    );
    const apps = cluster.kubeConfig.makeApiClient(AppsV1Api);
    const deployment = await apps.readNamespacedDeployment({ name: `${RELEASE}-webhook`, namespace: RELEASE_NAMESPACE }).catch(() => undefined);
    console.log(indented(await kubectl(['-n', RELEASE_NAMESPACE, 'get', 'pods', '-o', 'wide'])));
    if (deployment) console.log(`    ${deployment.status?.readyReplicas ?? 0}/${deployment.spec?.replicas ?? 0} webhook replicas Ready`);

    step('The seed manifest, applied as it stands (Namespace test, Secret ecr-secret holding "FAKE", Pod test-pod)');
    await deleteNamespaceAndWait(cluster, SEED_NAMESPACE);
    await forgetImage(cluster.node, SEED_IMAGE); // a real pull, not "already present on machine"
    console.log(indented(await kubectl(['apply', '-f', '-'], SEED_MANIFEST)));

    step('The Secret as the webhook (in its Pod) filled it');
    const secret = await cluster.core.readNamespacedSecret({ namespace: SEED_NAMESPACE, name: SEED_SECRET });
    const auths = (JSON.parse(Buffer.from(secret.data?.['.dockerconfigjson'] ?? '', 'base64').toString('utf8')) as { auths: Record<string, { username: string; password: string }> }).auths;
    for (const [host, entry] of Object.entries(auths)) console.log(`    auths[${host}] = { username: ${entry.username}, password: ${masked(entry.password)} }`);

    step(`Waiting for ${SEED_POD}: the kubelet pulls ${SEED_IMAGE} with that Secret`);
    await waitForPod(cluster, SEED_NAMESPACE, SEED_POD, isRunning, 'Running', 120_000);
    console.log(indented(await kubectl(['-n', SEED_NAMESPACE, 'get', 'pod', SEED_POD, '-o', 'wide'])));
    for (const event of await podEvents(cluster, SEED_NAMESPACE, SEED_POD)) console.log(`    ${event}`);

    step('ecr-anywhere status');
    const status = await runCli(['status', '--namespace', SEED_NAMESPACE, '--kubeconfig', cluster.info.kubeconfig]);
    console.log(indented(status.stdout));

    console.log(`\n\x1b[1mDone in ${elapsedSeconds()} s.\x1b[0m ${SEED_POD} stays Running; the cluster lives inside the harness's network namespace:
    npm run cluster:exec -- kubectl -n ${SEED_NAMESPACE} get pod ${SEED_POD} -o wide
    npm run cluster:exec -- kubectl -n ${SEED_NAMESPACE} describe pod ${SEED_POD}
    npm run cluster:exec -- kubectl -n ${RELEASE_NAMESPACE} get pods,cronjobs,mutatingwebhookconfigurations
    npm run cluster:exec -- node dist/bundle/cli.mjs status --namespace ${SEED_NAMESPACE}
    npm run cluster:down                               # stop the node and the control plane, restore the host`);
    if (wait) {
      console.log('\nThe ECR stand-in and the registry keep running until you press Ctrl-C (the cluster objects stay).');
      await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
    }
  } finally {
    await registry.stop();
    await standIn.close();
  }
}
