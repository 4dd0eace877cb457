// Images collected from rendered manifests: every container list of every workload kind, and CR image fields.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { imagesOfManifests } from '../../src/mirror/manifest-images.js';

const pod = (image: string): string => `{containers: [{name: c, image: "${image}"}], initContainers: [{name: i, image: "${image}-init"}], ephemeralContainers: [{name: e, image: "${image}-debug"}]}`;

describe('imagesOfManifests', () => {
  it('reads containers, initContainers and ephemeralContainers of every workload kind', () => {
    const rendered = [
      `apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: ${pod('pod')}`,
      `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec: {template: {spec: ${pod('deploy')}}}`,
      `apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: s}\nspec: {template: {spec: ${pod('sts')}}}`,
      `apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: ds}\nspec: {template: {spec: ${pod('ds')}}}`,
      `apiVersion: apps/v1\nkind: ReplicaSet\nmetadata: {name: rs}\nspec: {template: {spec: ${pod('rs')}}}`,
      `apiVersion: batch/v1\nkind: Job\nmetadata: {name: j}\nspec: {template: {spec: ${pod('job')}}}`,
      `apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: cj}\nspec: {jobTemplate: {spec: {template: {spec: ${pod('cron')}}}}}`,
    ].join('\n---\n');
    const found = imagesOfManifests(rendered);
    assert.equal(found.length, 21);
    for (const name of ['pod', 'deploy', 'sts', 'ds', 'rs', 'job', 'cron']) {
      for (const suffix of ['', '-init', '-debug']) assert.ok(found.some((image) => image.reference === `${name}${suffix}`), `${name}${suffix}`);
    }
    assert.ok(found.some((image) => image.where === 'CronJob/cj initContainers[0]'));
  });

  it('reads the image fields of custom resources', () => {
    const rendered = `apiVersion: monitoring.coreos.com/v1
kind: Prometheus
metadata: {name: k8s}
spec:
  image: quay.io/prometheus/prometheus:v2.54.0
  thanos: {baseImage: quay.io/thanos/thanos, image: quay.io/thanos/thanos:v0.36.0}
  containers: [{name: sidecar, image: "reloader:1"}]
---
apiVersion: example.com/v1
kind: Widget
metadata: {name: w}
spec:
  runner: {image: {registry: ghcr.io, repository: acme/runner, tag: "4"}}
  initImage: busybox:1.36
  imagePullPolicy: Always
  replicas: 2`;
    const references = imagesOfManifests(rendered).map((image) => image.reference).sort();
    assert.deepEqual(references, ['busybox:1.36', 'ghcr.io/acme/runner:4', 'quay.io/prometheus/prometheus:v2.54.0', 'quay.io/thanos/thanos', 'quay.io/thanos/thanos:v0.36.0', 'reloader:1'].sort());
  });

  it('ignores objects that hold no pulls, empty documents and empty images', () => {
    const rendered = `---
apiVersion: v1
kind: ConfigMap
metadata: {name: c}
data: {image: "not-pulled:1"}
---
# only a comment
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec: {template: {spec: {containers: [{name: c, image: ""}]}}}`;
    assert.deepEqual(imagesOfManifests(rendered), []);
  });

  it('reads the items of a List', () => {
    const rendered = `apiVersion: v1\nkind: List\nitems:\n  - {apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: [{name: c, image: x:1}]}}`;
    assert.deepEqual(imagesOfManifests(rendered).map((image) => image.reference), ['x:1']);
  });

  it('throws when the render is not YAML', () => {
    assert.throws(() => imagesOfManifests('a: [unclosed'), /not YAML/);
  });
});
