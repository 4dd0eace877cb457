// What ships is dist/bundle alone (the image holds no node_modules): copied into an empty directory, it still serves
// a review, and every chunk of every program loads.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { AdmissionReviewResponse } from '../../src/http/review-envelope.js';
import { ECR_PUBLIC_HOST, REGISTRIES_ANNOTATION } from '../../src/common/names.js';
import { createSelfSignedServing } from '../../src/tls/certificates.js';
import { standInAwsEnv } from '../../harness/aws-env.js';
import { startEcrStandIn, type EcrStandIn } from '../../harness/ecr-stand-in.js';
import { managedSecret, secretReview } from '../../harness/reviews.js';
import { postJson, startWebhookProcess } from '../../harness/webhook-process.js';

const BUNDLE = fileURLToPath(new URL('../../bundle/', import.meta.url));

describe('the shipped bundle, alone in a directory', () => {
  let lone: string;
  let standIn: EcrStandIn;

  before(async () => {
    // Under the OS temp directory: no node_modules on the way up for Node to fall back on.
    lone = await mkdtemp(join(tmpdir(), 'ecr-anywhere-bundle-'));
    await cp(BUNDLE, join(lone, 'bundle'), { recursive: true });
    standIn = await startEcrStandIn();
  });
  after(async () => {
    await standIn.close();
    await rm(lone, { recursive: true, force: true });
  });

  it('serves reviews with patches, for a private registry and for ECR Public (whose SDK client loads lazily)', async () => {
    const pair = createSelfSignedServing({ hosts: ['127.0.0.1'], now: new Date(), validityDays: 1 });
    await writeFile(join(lone, 'tls.crt'), pair.certPem);
    await writeFile(join(lone, 'tls.key'), pair.keyPem);
    const webhook = await startWebhookProcess(
      { ...standInAwsEnv(standIn.url), CERT_FILE: join(lone, 'tls.crt'), KEY_FILE: join(lone, 'tls.key') },
      [],
      { cli: join(lone, 'bundle', 'cli.mjs') },
    );
    try {
      const reviews = [
        secretReview(managedSecret(), { uid: 'bundle-private' }),
        secretReview(managedSecret({ annotations: { [REGISTRIES_ANNOTATION]: ECR_PUBLIC_HOST } }), { uid: 'bundle-public' }),
      ];
      for (const review of reviews) {
        const reply = await postJson(webhook.port, '/sync', review, pair.caPem);
        const answer = JSON.parse(reply.body) as AdmissionReviewResponse;
        assert.equal(answer.response.uid, review.request.uid);
        assert.equal(answer.response.allowed, true, reply.body);
        assert.ok((answer.response.patch ?? '').length > 0, 'the answer carries a patch');
      }
      assert.deepEqual(standIn.calls.map((call) => call.region), ['us-east-1', 'us-east-1']);
      assert.ok(standIn.calls.some((call) => call.target.startsWith('SpencerFrontendService.')), 'one call went to ECR Public');
    } finally {
      await webhook.stop();
    }
  });

  it('loads every chunk (refresher, status, mirror, migrate, self-managed TLS…) without node_modules', async () => {
    const chunks = (await readdir(join(lone, 'bundle', 'chunks'))).filter((name) => name.endsWith('.mjs'));
    assert.ok(chunks.length > 5, `chunks: ${chunks.join(', ')}`);
    const script = `for (const chunk of ${JSON.stringify(chunks)}) await import('./bundle/chunks/' + chunk); console.log('loaded', ${chunks.length});`;
    const { stdout } = await new Promise<{ stdout: string }>((resolve, reject) =>
      execFile(process.execPath, ['--input-type=module', '-e', script], { cwd: lone, env: { PATH: process.env.PATH ?? '' } }, (error, out, err) =>
        error ? reject(new Error(`${error.message}\n${err}`)) : resolve({ stdout: out }),
      ),
    );
    assert.equal(stdout.trim(), `loaded ${chunks.length}`);
  });
});
