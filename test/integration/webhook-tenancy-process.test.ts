// The real webhook process's tenancy settings, without a cluster: the namespace watch's start-up rules (a clear exit
// without any cluster; not ready while it cannot sync) and the cluster defaults when the watch is off. The watch
// against a real API server is proven in test/e2e/tenancy.test.ts.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AdmissionReviewResponse } from '../../src/http/review-envelope.js';
import { REGISTRIES_ANNOTATION } from '../../src/common/names.js';
import { standInAwsEnv } from '../../harness/aws-env.js';
import { startEcrStandIn, type EcrStandIn } from '../../harness/ecr-stand-in.js';
import { managedSecret, secretReview } from '../../harness/reviews.js';
import { getText, postJson, startWebhookProcess } from '../../harness/webhook-process.js';
import { readFile } from 'node:fs/promises';

let standIn: EcrStandIn;
let dir: string;

before(async () => {
  standIn = await startEcrStandIn();
  dir = await mkdtemp(join(tmpdir(), 'ecr-anywhere-tenancy-it-'));
});
after(async () => {
  await standIn.close();
  await rm(dir, { recursive: true, force: true });
});

async function caFileOf(output: string): Promise<string> {
  const line = output.split('\n').find((l) => l.includes('self-signed'));
  const caFile = (JSON.parse(line ?? '{}') as { caFile?: string }).caFile;
  assert.ok(caFile, output);
  return readFile(caFile, 'utf8');
}

describe('ecr-anywhere webhook: tenancy settings of the process', () => {
  it('exits 2 naming NAMESPACE_WATCH=off when the watch is on and no cluster is configured', async () => {
    await assert.rejects(
      startWebhookProcess({ ...standInAwsEnv(standIn.url), NAMESPACE_WATCH: 'on', HOME: dir }),
      /exited with 2[\s\S]*the namespace watch needs a cluster[\s\S]*NAMESPACE_WATCH=off runs without one/,
    );
  });

  it('serves but is not ready while the namespace watch cannot sync', async () => {
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = server.address() as AddressInfo;
        server.close(() => resolve(free));
      });
    });
    const kubeconfig = join(dir, 'kubeconfig');
    await writeFile(
      kubeconfig,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'nowhere', cluster: { server: `https://127.0.0.1:${port}`, 'insecure-skip-tls-verify': true } }],
        users: [{ name: 'nobody', user: { token: 'unused' } }],
        contexts: [{ name: 'nowhere', context: { cluster: 'nowhere', user: 'nobody' } }],
        'current-context': 'nowhere',
      }),
    );
    const webhook = await startWebhookProcess({ ...standInAwsEnv(standIn.url), NAMESPACE_WATCH: 'on', KUBECONFIG: kubeconfig });
    try {
      assert.equal((await getText(webhook.opsPort, '/healthz')).status, 200);
      // Wait for the watch's first failure (with a deadline), then it must still say not ready.
      const deadline = Date.now() + 15_000;
      while (!/namespace watch failed; retrying/.test(webhook.output())) {
        assert.ok(Date.now() < deadline, `the watch never reported its failure:\n${webhook.output()}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.equal((await getText(webhook.opsPort, '/readyz')).status, 503);
      // A review meanwhile gets no credentials: no namespace is known.
      const reply = await postJson(webhook.port, '/sync', secretReview(managedSecret()), await caFileOf(webhook.output()));
      assert.equal((JSON.parse(reply.body) as AdmissionReviewResponse).response.status?.reason, 'ECR_ANYWHERE_NAMESPACE_UNKNOWN');
    } finally {
      await webhook.stop();
    }
  });

  it('applies DEFAULT_ALLOWED_REGISTRIES and REQUIRE_NAMESPACE_ROLE with the watch off', async () => {
    const locked = await startWebhookProcess({ ...standInAwsEnv(standIn.url), DEFAULT_ALLOWED_REGISTRIES: '111111111111.dkr.ecr.*.amazonaws.com' });
    try {
      const ca = await caFileOf(locked.output());
      const inside = await postJson(locked.port, '/sync', secretReview(managedSecret({ annotations: { [REGISTRIES_ANNOTATION]: '111111111111.dkr.ecr.eu-west-1.amazonaws.com' } })), ca);
      assert.equal((JSON.parse(inside.body) as AdmissionReviewResponse).response.patchType, 'JSONPatch');
      const outside = await postJson(locked.port, '/sync', secretReview(managedSecret()), ca);
      const refusal = (JSON.parse(outside.body) as AdmissionReviewResponse).response.status;
      assert.equal(refusal?.reason, 'ECR_ANYWHERE_REGISTRY_NOT_ALLOWED');
      assert.match(refusal?.message ?? '', /the cluster default DEFAULT_ALLOWED_REGISTRIES/);
    } finally {
      await locked.stop();
    }
    const roleRequired = await startWebhookProcess({ ...standInAwsEnv(standIn.url), REQUIRE_NAMESPACE_ROLE: 'true' });
    try {
      const reply = await postJson(roleRequired.port, '/sync', secretReview(managedSecret()), await caFileOf(roleRequired.output()));
      assert.equal((JSON.parse(reply.body) as AdmissionReviewResponse).response.status?.reason, 'ECR_ANYWHERE_NO_ROLE');
    } finally {
      await roleRequired.stop();
    }
  });

  it('exits 2 on a malformed DEFAULT_ALLOWED_REGISTRIES, naming the entry', async () => {
    await assert.rejects(
      startWebhookProcess({ ...standInAwsEnv(standIn.url), DEFAULT_ALLOWED_REGISTRIES: '*,1111*.dkr.ecr.us-east-1.amazonaws.com' }),
      /exited with 2[\s\S]*DEFAULT_ALLOWED_REGISTRIES has an invalid entry "1111\*\.dkr\.ecr\.us-east-1\.amazonaws\.com"/,
    );
  });
});
