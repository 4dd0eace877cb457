// Source credentials kept in a Kubernetes Secret (real kube-apiserver): the basic-auth layout and one named entry
// per data key, as in the seed's nested secrets. A wrong entry fails the artefacts of that registry only.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../../harness/cli-process.js';
import { createNamespace, deleteNamespaces, ensureCluster, uniqueName, type TestCluster } from '../../harness/cluster.js';
import { buildMultiPlatformImage, pushImage, remoteDigest } from '../../harness/mirror-content.js';
import { startMirrorStand, type MirrorStand } from '../../harness/mirror-stand.js';

describe('mirror with source credentials in a Kubernetes Secret', { timeout: 400_000 }, () => {
  let cluster: TestCluster;
  let stand: MirrorStand;
  const namespace = uniqueName('mirror-creds');
  let privateRef: string;
  let publicRef: string;
  let indexDigest: string;

  before(async () => {
    cluster = await ensureCluster();
    stand = await startMirrorStand();
    await createNamespace(cluster, namespace, {});
    const encode = (text: string): string => Buffer.from(text).toString('base64');
    await cluster.core.createNamespacedSecret({
      namespace,
      body: { metadata: { name: 'basic' }, type: 'kubernetes.io/basic-auth', data: { username: encode('AWS'), password: encode(stand.authSource.password) } },
    });
    await cluster.core.createNamespacedSecret({
      namespace,
      body: { metadata: { name: 'nested' }, data: { artifactory: encode(JSON.stringify({ username: 'AWS', password: stand.authSource.password })), other: encode('{"username":"x","password":"y"}') } },
    });
    const shared = randomBytes(2048);
    const built = await buildMultiPlatformImage(join(stand.dir, 'private'), { tag: '1', sharedLayer: shared });
    indexDigest = built.indexDigest;
    privateRef = await pushImage(built, stand.authSource, 'team/private');
    publicRef = await pushImage(await buildMultiPlatformImage(join(stand.dir, 'public'), { tag: '1', sharedLayer: shared }), stand.anonymousSource, 'team/public');
  });

  after(async () => {
    await deleteNamespaces(cluster, [namespace]);
    await stand?.stop();
  });

  const mirror = async (secret: string, entry: string | undefined, prefix: string): Promise<Awaited<ReturnType<typeof runCli>>> => {
    const file = join(stand.dir, `${prefix}.yaml`);
    await writeFile(
      file,
      `images: [${privateRef}, ${publicRef}]
credentials:
  - registry: ${stand.authSource.address}
    secret: {namespace: ${namespace}, name: ${secret}}
${entry === undefined ? '' : `    entry: ${entry}\n`}`,
    );
    return runCli(['mirror', '-f', file, '--prefix', prefix, '--output', join(stand.dir, prefix), '--kubeconfig', cluster.info.kubeconfig], { env: stand.env(), timeoutMs: 120_000 });
  };

  it('reads username and password keys', async () => {
    const result = await mirror('basic', undefined, 'basic');
    assert.equal(result.code, 0, result.stdout);
    assert.equal(await remoteDigest(stand.target, `${stand.target.address}/basic/team/private:1`), indexDigest);
    assert.ok(!result.stdout.includes(stand.authSource.password));
  });

  it('reads one named entry', async () => {
    const result = await mirror('nested', 'artifactory', 'nested');
    assert.equal(result.code, 0, result.stdout);
    assert.equal(await remoteDigest(stand.target, `${stand.target.address}/nested/team/private:1`), indexDigest);
  });

  it('a missing entry fails that registry\'s artefacts, names the entry, and the rest is mirrored', async () => {
    const result = await mirror('nested', 'missing', 'missing');
    assert.equal(result.code, 1, result.stdout);
    const failed = result.logLines.find((line) => line.outcome === 'failed');
    assert.equal(failed?.source, privateRef);
    assert.equal(failed?.code, 'ECR_ANYWHERE_MIRROR_CREDENTIALS');
    assert.match(String(failed?.error), /credentials\[0\]\): the Secret has no data key "missing" \(keys: artifactory, other\)/);
    assert.ok(result.logLines.some((line) => line.source === publicRef && line.outcome === 'copied'));
  });
});
