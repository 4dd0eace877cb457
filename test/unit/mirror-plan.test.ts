// Target naming, ECR's name rule, and the refusal of two sources landing in one repository.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseImageReference, type ImageReference } from '../../src/mirror/image-reference.js';
import type { ChartSource } from '../../src/mirror/mirror-file.js';
import { chartLabel, chartTargetRepository, isConflict, MirrorPlan, targetReference } from '../../src/mirror/plan.js';
import { conflictMessage, ecrRepositoryNameProblem, prefixProblem } from '../../src/mirror/target-naming.js';

function ref(text: string): ImageReference {
  const result = parseImageReference(text);
  if (!result.ok) throw new Error(result.reason);
  return result.reference;
}

const ociChart = (registry: string, path: string, chart: string): ChartSource => ({
  kind: 'oci',
  reference: { registry, repository: `${path}/${chart}`, tag: undefined, digest: undefined },
  chart,
  version: '1.0.0',
  values: {},
  origin: `chart ${chart} (charts[0])`,
});
const httpsChart = (repo: string, chart: string): ChartSource => ({ kind: 'https', repo, chart, version: '2.0.0', values: {}, origin: `chart ${chart} (charts[1])` });

describe('target repositories', () => {
  it('drop the source host and keep the path under the prefix', () => {
    const plan = new MirrorPlan('proj');
    const job = plan.addImage(ref('nginx:1.27'), 'images[0]');
    assert.ok(!isConflict(job));
    assert.equal(job.targetRepository, 'proj/library/nginx');
    assert.equal(job.targetTag, '1.27');
    assert.equal(job.sourceText, 'docker.io/library/nginx:1.27');
  });

  it('charts: oci keeps its path, https lands under charts/<name>', () => {
    assert.equal(chartTargetRepository(ociChart('host', 'charts', 'demo'), 'p'), 'p/charts/demo');
    assert.equal(chartTargetRepository(httpsChart('https://charts.example.com', 'site'), 'p'), 'p/charts/site');
    assert.equal(chartLabel(ociChart('host', 'charts', 'demo')), 'oci://host/charts/demo:1.0.0');
    assert.equal(chartLabel(httpsChart('https://x', 'site')), 'https://x site:2.0.0');
  });

  it('an image pinned by digest only lands untagged', () => {
    const digest = `sha256:${'b'.repeat(64)}`;
    const plan = new MirrorPlan('p');
    const job = plan.addImage(ref(`quay.io/a/b@${digest}`), 'images[0]');
    assert.ok(!isConflict(job));
    assert.equal(job.targetTag, undefined);
    assert.equal(job.sourceReference, digest);
    assert.equal(targetReference('h', job.targetRepository, job.targetTag, digest), `h/p/a/b@${digest}`);
    assert.equal(targetReference('h', 'p/a/b', 'v1', digest), 'h/p/a/b:v1');
  });

  it('the same source asked for twice is one job with both origins', () => {
    const plan = new MirrorPlan('p');
    const first = plan.addImage(ref('quay.io/a/b:1'), 'images[0]');
    const again = plan.addImage(ref('quay.io/a/b:1'), 'chart demo');
    const otherTag = plan.addImage(ref('quay.io/a/b:2'), 'chart demo');
    assert.ok(!isConflict(first) && !isConflict(again) && !isConflict(otherTag));
    assert.equal(first, again);
    assert.deepEqual(first.origins, ['images[0]', 'chart demo']);
    assert.equal(plan.images().length, 2);
  });

  it('two sources landing in one repository are refused, naming both', () => {
    const plan = new MirrorPlan('p');
    assert.ok(!isConflict(plan.addImage(ref('docker.io/library/nginx:1'), 'images[0]')));
    const conflict = plan.addImage(ref('quay.io/library/nginx:1'), 'images[1]');
    assert.ok(isConflict(conflict));
    assert.equal(conflict.target, 'p/library/nginx');
    assert.match(conflictMessage(conflict), /images\[1\] \(quay\.io\/library\/nginx\) and images\[0\] \(docker\.io\/library\/nginx\) would both land in ECR repository p\/library\/nginx/);
    assert.equal(plan.images().length, 1);
  });

  it('a chart and an image, or two https charts of one name, collide too', () => {
    const plan = new MirrorPlan('p');
    assert.ok(!isConflict(plan.addChart(ociChart('a.example', 'charts', 'demo'))));
    assert.ok(isConflict(plan.addImage(ref('b.example/charts/demo:1'), 'images[0]')));
    assert.ok(!isConflict(plan.addChart(httpsChart('https://one.example', 'site'))));
    assert.ok(isConflict(plan.addChart(httpsChart('https://two.example', 'site'))));
  });
});

describe('ECR names', () => {
  it('accepts what CreateRepository accepts', () => {
    for (const name of ['ab', 'proj/library/nginx', 'a.b_c-d/e', 'x/y/z']) assert.equal(ecrRepositoryNameProblem(name), undefined, name);
  });
  it('refuses what CreateRepository refuses', () => {
    for (const name of ['a', 'A/b', 'a//b', 'a__b', 'a/-b', `a${'b'.repeat(256)}`]) assert.ok(ecrRepositoryNameProblem(name), name);
  });
  it('checks the prefix', () => {
    assert.equal(prefixProblem('team-a/project'), undefined);
    assert.match(prefixProblem('') ?? '', /empty/);
    assert.match(prefixProblem('proj/') ?? '', /trailing/);
    assert.match(prefixProblem('Proj') ?? '', /not usable/);
  });
});
