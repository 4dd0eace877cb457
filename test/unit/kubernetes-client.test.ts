import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { hasDefaultKubeConfig } from '../../src/common/kubernetes-client.js';

describe('hasDefaultKubeConfig', () => {
  const emptyHome = mkdtempSync(join(tmpdir(), 'ecr-anywhere-home-'));
  it('is false with no KUBECONFIG, no ~/.kube/config and no in-cluster service host (no silent localhost:8080)', () => {
    assert.equal(hasDefaultKubeConfig({}, emptyHome), false);
  });
  it('is true with KUBECONFIG, in a pod, or with ~/.kube/config', () => {
    assert.equal(hasDefaultKubeConfig({ KUBECONFIG: '/x' }, emptyHome), true);
    assert.equal(hasDefaultKubeConfig({ KUBERNETES_SERVICE_HOST: '10.0.0.1' }, emptyHome), true);
    const home = mkdtempSync(join(tmpdir(), 'ecr-anywhere-home-'));
    mkdirSync(join(home, '.kube'));
    writeFileSync(join(home, '.kube', 'config'), 'apiVersion: v1\nkind: Config\n');
    assert.equal(hasDefaultKubeConfig({}, home), true);
  });
});
