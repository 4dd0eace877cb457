// Property-based fuzzing of POST /sync through app.inject(): the real compose (handler, token cache, ECR adapter)
// with the AWS SDK reaching the ECR stand-in. Valid reviews are mutated — wrong types at every field, missing
// fields, huge strings, deep nesting, unicode, __proto__/constructor keys, duplicated keys in the raw JSON text,
// numbers where strings belong, UPDATE with odd oldObjects — and every answer must be a well-formed AdmissionReview
// echoing the uid or a coded 4xx JSON error; never a 5xx, an internal error, a hang, or a patch for a review the
// pure plan skips or refuses. Seeded (FUZZ_SEED to replay another run) and bounded in time.
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { planAdmission } from '../../src/admission/plan.js';
import { createMetricsRegistry } from '../../src/common/metrics.js';
import { REGISTRIES_ANNOTATION } from '../../src/common/names.js';
import { systemClock } from '../../src/common/time.js';
import { knownRegion } from '../../src/ecr/regions.js';
import { buildOpsApp } from '../../src/http/ops-app.js';
import { composeWebhook, type WebhookParts } from '../../src/webhook/compose.js';
import type { AdmissionRequest } from '../../src/admission/review.js';
import { useStandInAwsEnv } from '../../harness/aws-env.js';
import { startEcrStandIn, type EcrStandIn } from '../../harness/ecr-stand-in.js';
import { captureLogs } from '../../harness/log-capture.js';
import { managedSecret, secretReview } from '../../harness/reviews.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20_261_202);
const RUNS = 10_000;
const TIME_LIMIT_MS = 240_000;
const CASE_LIMIT_MS = 10_000;
const CANARY = 'CANARY-fz0411-never-log-me';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const REGISTRY_LISTS = [
  '123456789012.dkr.ecr.us-east-1.amazonaws.com',
  '123456789012.dkr.ecr.eu-west-1.amazonaws.com,210987654321.dkr.ecr.cn-north-1.amazonaws.com.cn',
  '123456789012.dkr.ecr.xx-fake-9.amazonaws.com',
  '123456789012.dkr.ecr.us-fake-9.amazonaws.com',
  'ghcr.io',
  ' , ,',
];

/** A review the API server could send: CREATE/UPDATE/DELETE of a Secret, managed or not, in a protected namespace or not. */
const validReview = fc
  .record({
    uid: fc.oneof(fc.uuid(), fc.string({ minLength: 1, maxLength: 40, unit: 'grapheme' })),
    operation: fc.constantFrom('CREATE', 'UPDATE', 'DELETE', 'CONNECT'),
    namespace: fc.constantFrom('team-a', 'kube-system', 'default', 'ecr-system'),
    managed: fc.boolean(),
    type: fc.constantFrom('kubernetes.io/dockerconfigjson', 'Opaque', undefined),
    registries: fc.option(fc.constantFrom(...REGISTRY_LISTS), { nil: undefined }),
    dockerConfig: fc.constantFrom('{"auths":{}}', '{"auths":{"ghcr.io":{"auth":"eDp5"}}}', 'not json', '{"auths":[]}', '[]'),
    withOld: fc.boolean(),
  })
  .map((spec) => {
    const secret = managedSecret({
      namespace: spec.namespace,
      labels: spec.managed ? { 'ecr-anywhere.centml.ai/managed': 'true' } : {},
      ...(spec.registries === undefined ? {} : { annotations: { [REGISTRIES_ANNOTATION]: spec.registries } }),
      ...(spec.type === undefined ? { type: null } : { type: spec.type }),
      data: { '.dockerconfigjson': Buffer.from(spec.dockerConfig).toString('base64') },
    });
    const review = secretReview(secret, { uid: spec.uid, operation: spec.operation, ...(spec.withOld ? { oldObject: managedSecret({ namespace: spec.namespace }) } : {}) });
    return JSON.parse(JSON.stringify(review)) as Json;
  });

function nested(depth: number, leaf: Json): Json {
  let value: Json = leaf;
  for (let level = 0; level < depth; level += 1) value = level % 2 === 0 ? { a: value } : [value];
  return value;
}

/** Values that do not belong where they are put; huge strings are rare, or the run would mostly copy megabytes. */
const oddValue: fc.Arbitrary<Json> = fc.oneof(
  { arbitrary: fc.integer(), weight: 4 },
  { arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }), weight: 2 },
  { arbitrary: fc.boolean(), weight: 2 },
  { arbitrary: fc.constant(null), weight: 2 },
  { arbitrary: fc.constant(''), weight: 2 },
  { arbitrary: fc.string({ maxLength: 30, unit: 'grapheme' }), weight: 4 },
  { arbitrary: fc.string({ maxLength: 30, unit: 'binary' }), weight: 2 },
  { arbitrary: fc.constantFrom('\u0000', '\ud800', '\u202e', '𝓤𝓷𝓲𝓬𝓸𝓭𝓮', 'ü'.repeat(1000)), weight: 2 },
  // 256 KiB fits the 8 MiB body limit; 9 MiB does not and must come back as a 413.
  { arbitrary: fc.constantFrom(256, 9 * 1024).map((size) => 'x'.repeat(size * 1024)), weight: 1 },
  { arbitrary: fc.integer({ min: 10, max: 3_000 }).map((depth) => nested(depth, 'deep')), weight: 2 },
  { arbitrary: fc.json().map((text) => JSON.parse(text) as Json), weight: 3 },
  { arbitrary: fc.array(fc.string({ maxLength: 5 }), { maxLength: 5 }), weight: 2 },
  { arbitrary: fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.integer(), fc.string({ maxLength: 8 })), { maxKeys: 4 }), weight: 2 },
);

type Mutation =
  | { readonly kind: 'set'; readonly at: number; readonly value: Json }
  | { readonly kind: 'delete'; readonly at: number }
  | { readonly kind: 'add-key'; readonly at: number; readonly key: string; readonly value: Json }
  | { readonly kind: 'stringly-number'; readonly at: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: oddValue }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('add-key' as const), at: fc.nat(), key: fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty'), value: oddValue }),
  fc.record({ kind: fc.constant('stringly-number' as const), at: fc.nat() }),
);

type Container = Json[] | { [key: string]: Json };
type Place = { readonly parent: Container; readonly key: string | number };

/** Every place of the document: each property of each object and each item of each array. */
function places(document: Json, found: Place[] = []): Place[] {
  if (document === null || typeof document !== 'object') return found;
  const entries: Array<[string | number, Json]> = Array.isArray(document) ? document.map((item, index) => [index, item]) : Object.entries(document);
  for (const [key, value] of entries) {
    found.push({ parent: document, key });
    if (found.length < 400) places(value, found);
  }
  return found;
}

function setAt(place: Place, value: Json): void {
  if (Array.isArray(place.parent)) place.parent[place.key as number] = value;
  else Object.defineProperty(place.parent, place.key, { value, enumerable: true, writable: true, configurable: true });
}

function mutate(document: Json, change: Mutation): void {
  const all = places(document);
  const place = all[change.at % Math.max(1, all.length)];
  if (place === undefined) return;
  const current = (place.parent as Record<string | number, Json>)[place.key];
  if (change.kind === 'set') setAt(place, change.value);
  else if (change.kind === 'stringly-number') setAt(place, typeof current === 'string' ? current.length : (JSON.stringify(current) ?? 'undefined'));
  else if (change.kind === 'delete') {
    if (Array.isArray(place.parent)) place.parent.splice(place.key as number, 1);
    else delete place.parent[place.key as string];
  } else {
    const target = current !== null && typeof current === 'object' && !Array.isArray(current) ? current : place.parent;
    if (!Array.isArray(target)) Object.defineProperty(target, change.key, { value: change.value, enumerable: true, writable: true, configurable: true });
  }
}

/** Raw-text changes JSON.stringify cannot make: a duplicated key, whose last value JSON.parse keeps. */
const textEdit = fc.option(
  fc.record({ key: fc.constantFrom('uid', 'operation', 'namespace', 'kind', 'labels', 'type', 'object', REGISTRIES_ANNOTATION), value: oddValue }),
  { nil: undefined, freq: 3 },
);

function duplicateKey(text: string, key: string, value: Json): string {
  const marker = `"${key}":`;
  const at = text.indexOf(marker);
  return at === -1 ? text : `${text.slice(0, at)}${marker}${JSON.stringify(value)},${text.slice(at)}`;
}

const fuzzCase = fc.record({ review: validReview, mutations: fc.array(mutation, { minLength: 0, maxLength: 3 }), edit: textEdit });

/** What the pure plan says for the review as JSON.parse reads it; undefined when it is not even a review. */
function plannedAction(text: string): string | undefined {
  try {
    const parsed = JSON.parse(text) as { request?: AdmissionRequest };
    return parsed.request ? planAdmission(parsed.request, 'us-east-1').action : undefined;
  } catch {
    return 'not-plannable';
  }
}

function uidOf(text: string): unknown {
  try {
    return (JSON.parse(text) as { request?: { uid?: unknown } }).request?.uid;
  } catch {
    return undefined;
  }
}

function heapAfterGc(): number {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
  return process.memoryUsage().heapUsed;
}

describe('POST /sync under fuzzed reviews', () => {
  let standIn: EcrStandIn;
  let restoreEnv: () => void;
  let parts: WebhookParts;
  const logs = captureLogs('warn');
  const registry = createMetricsRegistry({ processMetrics: false });
  const ops = buildOpsApp({ registry, isReady: () => true });

  before(async () => {
    standIn = await startEcrStandIn({ passwordFor: (region, n) => `${CANARY}-${region}-${n}` });
    restoreEnv = useStandInAwsEnv(standIn.url);
    parts = composeWebhook({ awsRegion: 'us-east-1', ecrTimeoutMs: 4000, logger: logs.logger, registry, clock: systemClock });
  });
  after(async () => {
    await parts.app.close();
    await ops.close();
    restoreEnv();
    await standIn.close();
  });

  it(`answers ${RUNS} mutated reviews with a well-formed review or a coded 4xx, never a 5xx, a hang or an unplanned patch`, { timeout: TIME_LIMIT_MS + 60_000 }, async (t) => {
    let cases = 0;
    const outcomes = new Map<string, number>();
    const started = Date.now();
    // A warm-up case, so the heap measured below already holds the app's caches and a token.
    await parts.app.inject({ method: 'POST', url: '/sync', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(secretReview(managedSecret())) });
    const heapBefore = heapAfterGc();

    await fc.assert(
      fc.asyncProperty(fuzzCase, async ({ review, mutations, edit }) => {
        cases += 1;
        const document = structuredClone(review);
        for (const change of mutations) mutate(document, change);
        let text = JSON.stringify(document) ?? 'null';
        if (edit) text = duplicateKey(text, edit.key, edit.value);
        let timer: NodeJS.Timeout | undefined;
        const reply = await Promise.race([
          parts.app.inject({ method: 'POST', url: '/sync', headers: { 'content-type': 'application/json' }, payload: text }),
          new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${CASE_LIMIT_MS} ms`)), CASE_LIMIT_MS))),
        ]).finally(() => clearTimeout(timer));

        assert.ok(reply.statusCode < 500, `status ${reply.statusCode}: ${reply.body.slice(0, 300)}`);
        assert.match(String(reply.headers['content-type']), /^application\/json/);
        const body = JSON.parse(reply.body) as { apiVersion?: unknown; kind?: unknown; response?: { uid?: unknown; allowed?: unknown; patch?: unknown; status?: { reason?: unknown } }; code?: unknown };
        if (reply.statusCode === 200) {
          assert.equal(body.apiVersion, 'admission.k8s.io/v1');
          assert.equal(body.kind, 'AdmissionReview');
          assert.equal(body.response?.uid, uidOf(text), 'the uid is echoed');
          assert.equal(typeof body.response?.allowed, 'boolean');
          assert.notEqual(body.response?.status?.reason, 'ECR_ANYWHERE_INTERNAL', `bad input ended as an internal error: ${reply.body.slice(0, 300)}`);
          if (body.response?.patch !== undefined) assert.equal(plannedAction(text), 'inject', 'a patch only where the plan injects');
          const outcome = body.response?.patch !== undefined ? 'patched' : body.response?.allowed === true ? 'allowed' : `refused ${String(body.response?.status?.reason)}`;
          outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
        } else {
          assert.ok(reply.statusCode >= 400, `status ${reply.statusCode}`);
          assert.match(String(body.code), /^ECR_ANYWHERE_[A-Z_]+$/);
          outcomes.set(`http ${reply.statusCode} ${String(body.code)}`, (outcomes.get(`http ${reply.statusCode} ${String(body.code)}`) ?? 0) + 1);
        }
      }),
      { numRuns: RUNS, seed: SEED, interruptAfterTimeLimit: TIME_LIMIT_MS, markInterruptAsFailure: true, endOnFailure: true, includeErrorInReport: true },
    );

    const elapsedMs = Date.now() - started;
    const heapGrowthMiB = (heapAfterGc() - heapBefore) / 2 ** 20;
    t.diagnostic(`fuzz: ${cases} reviews in ${(elapsedMs / 1000).toFixed(1)} s (seed ${SEED}), heap growth ${heapGrowthMiB.toFixed(1)} MiB`);
    t.diagnostic(`fuzz outcomes: ${[...outcomes.entries()].sort((a, b) => b[1] - a[1]).map(([key, count]) => `${key}=${count}`).join(', ')}`);
    assert.ok(cases >= RUNS, `only ${cases} cases ran`);
    assert.ok(heapGrowthMiB < 64, `the heap grew by ${heapGrowthMiB.toFixed(1)} MiB over the run`);

    const ready = await ops.inject({ method: 'GET', url: '/readyz' });
    assert.equal(ready.statusCode, 200);
    const metrics = (await ops.inject({ method: 'GET', url: '/metrics' })).body;
    const regions = new Set([...metrics.matchAll(/region="([^"]*)"/g)].map((match) => match[1]!));
    for (const region of regions) assert.ok(knownRegion(region), `a metric label for the region "${region}" no partition lists`);
    assert.ok(!logs.text().includes(CANARY), 'a token reached the logs');
  });
});
