// Image references read as a kubelet reads them: Docker Hub defaults, registry detection, tags and digests.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatReference, manifestReferenceOf, parseImageReference, repositoryOf } from '../../src/mirror/image-reference.js';

const DIGEST = `sha256:${'a'.repeat(64)}`;

function parsed(text: string, defaultTag?: boolean): string {
  const result = parseImageReference(text, { defaultTag });
  if (!result.ok) throw new Error(`${text}: ${result.reason}`);
  return formatReference(result.reference);
}

describe('parseImageReference', () => {
  const cases: Array<[string, string]> = [
    ['nginx', 'docker.io/library/nginx:latest'],
    ['nginx:1.27', 'docker.io/library/nginx:1.27'],
    ['bitnami/nginx:1.27', 'docker.io/bitnami/nginx:1.27'],
    ['docker.io/nginx', 'docker.io/library/nginx:latest'],
    ['index.docker.io/library/nginx:1', 'docker.io/library/nginx:1'],
    ['registry-1.docker.io/grafana/grafana:11', 'docker.io/grafana/grafana:11'],
    ['quay.io/prometheus/node-exporter:v1.8.0', 'quay.io/prometheus/node-exporter:v1.8.0'],
    ['localhost/app', 'localhost/app:latest'],
    ['127.0.0.1:5000/a/b/c:tag', '127.0.0.1:5000/a/b/c:tag'],
    ['Registry.Example.COM/x', 'registry.example.com/x:latest'],
    [`ghcr.io/o/r@${DIGEST}`, `ghcr.io/o/r@${DIGEST}`],
    [`ghcr.io/o/r:v1@${DIGEST}`, `ghcr.io/o/r:v1@${DIGEST}`],
    ['registry.k8s.io/pause:3.9', 'registry.k8s.io/pause:3.9'],
    ['a__b/c--d:x', 'docker.io/a__b/c--d:x'],
  ];
  for (const [text, expected] of cases) {
    it(`${text} → ${expected}`, () => assert.equal(parsed(text), expected));
  }

  it('keeps a reference tagless when asked (values matching)', () => {
    assert.equal(parsed('nginx', false), 'docker.io/library/nginx');
  });

  const bad: Array<[string, RegExp]> = [
    ['', /empty/],
    ['a b', /no spaces/],
    ['https://quay.io/x', /without a scheme/],
    ['nginx:', /not a tag/],
    ['UPPER', /not a repository path part/],
    ['quay.io/x@sha256:abc', /not a digest/],
    [`quay.io/x@sha256:${'A'.repeat(64)}`, /not a digest/],
    ['quay.io//x', /not a repository path part/],
    ['quay.io/x:-bad', /not a tag/],
    ['host:99999999/x', /not a registry host/],
  ];
  for (const [text, reason] of bad) {
    it(`refuses "${text}"`, () => {
      const result = parseImageReference(text);
      assert.equal(result.ok, false);
      if (!result.ok) assert.match(result.reason, reason);
    });
  }

  it('asks the registry for the digest when pinned, else the tag', () => {
    const pinned = parseImageReference(`quay.io/x:v1@${DIGEST}`);
    const tagged = parseImageReference('quay.io/x:v1');
    assert.ok(pinned.ok && tagged.ok);
    assert.equal(manifestReferenceOf(pinned.reference), DIGEST);
    assert.equal(manifestReferenceOf(tagged.reference), 'v1');
    assert.equal(repositoryOf(pinned.reference), 'quay.io/x');
  });
});
