// The values that point a chart's images at ECR: each common spelling rewritten, nothing else touched.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseImageReference, type ImageReference } from '../../src/mirror/image-reference.js';
import { imagesOutsideTarget, imageValuesOverride, mergeValues, type RepositoryMove } from '../../src/mirror/values-override.js';

const ECR = '123456789012.dkr.ecr.us-east-1.amazonaws.com';
const move = (source: string, path: string): RepositoryMove => ({ source, targetHost: ECR, targetRepository: `proj/${path}` });
const MOVES = [
  move('docker.io/library/nginx', 'library/nginx'),
  move('docker.io/bitnami/redis', 'bitnami/redis'),
  move('quay.io/prometheus/node-exporter', 'prometheus/node-exporter'),
  move('ghcr.io/acme/sidecar', 'acme/sidecar'),
];

describe('imageValuesOverride', () => {
  it('rewrites {registry, repository}, {repository}, whole references and bare names under image keys', () => {
    const defaults = {
      image: { registry: 'docker.io', repository: 'bitnami/redis', tag: '7.2' },
      exporter: { image: { repository: 'quay.io/prometheus/node-exporter', tag: 'v1.8.0', pullPolicy: 'IfNotPresent' } },
      sidecar: 'ghcr.io/acme/sidecar:1.0',
      web: { image: 'nginx', imageTag: '1.27' },
      name: 'nginx',
      replicas: 2,
      extraContainers: [{ name: 'a', image: 'nginx:1.27' }, { name: 'b', image: 'busybox:1' }],
    };
    const values = imageValuesOverride(defaults, { replicas: 3 }, MOVES);
    assert.deepEqual(values, {
      replicas: 3,
      // Only the changed leaves: tags and other settings stay the chart's.
      image: { registry: ECR, repository: 'proj/bitnami/redis' },
      exporter: { image: { repository: `${ECR}/proj/prometheus/node-exporter` } },
      sidecar: `${ECR}/proj/acme/sidecar:1.0`,
      web: { image: `${ECR}/proj/library/nginx` },
      // Helm replaces lists whole: the list is given in full, the unmirrored entry untouched.
      extraContainers: [{ name: 'a', image: `${ECR}/proj/library/nginx:1.27` }, { name: 'b', image: 'busybox:1' }],
    });
  });

  it('sees the user values the chart was rendered with', () => {
    const values = imageValuesOverride({ image: { repository: 'busybox', tag: '1' } }, { image: { repository: 'nginx' } }, MOVES);
    assert.deepEqual(values, { image: { repository: `${ECR}/proj/library/nginx` } });
  });

  it('keeps digests and leaves unmoved images and plain words alone', () => {
    const digest = `sha256:${'d'.repeat(64)}`;
    const values = imageValuesOverride({ a: `nginx@${digest}`, b: 'redis:7', c: 'nginx', d: { repository: 'other/thing' } }, {}, MOVES);
    assert.deepEqual(values, { a: `${ECR}/proj/library/nginx@${digest}` });
  });

  it('changes nothing when no image matches', () => {
    assert.deepEqual(imageValuesOverride({ image: { repository: 'x/y' } }, { keep: true }, MOVES), { keep: true });
  });
});

describe('mergeValues and imagesOutsideTarget', () => {
  it('merges objects key by key and replaces anything else', () => {
    assert.deepEqual(mergeValues({ a: { b: 1, c: [1] }, d: 1 }, { a: { c: [2], e: 3 }, d: { x: 1 } }), { a: { b: 1, c: [2], e: 3 }, d: { x: 1 } });
  });

  it('lists the images not in the target registry', () => {
    const refs = ['nginx:1', `${ECR}/proj/library/nginx:1`].map((text) => (parseImageReference(text) as { reference: ImageReference }).reference);
    assert.deepEqual(imagesOutsideTarget(refs, ECR).map((reference) => reference.repository), ['library/nginx']);
    assert.equal(imagesOutsideTarget(refs, ECR)[0]?.registry, 'docker.io');
  });
});
