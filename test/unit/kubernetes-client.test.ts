import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ApiException } from '@kubernetes/client-node';
import { EcrAnywhereError, ErrorCodes, describeError } from '../../src/common/errors.js';
import { hasDefaultKubeConfig, isRetryableApiFailure, kubernetesError, loadKubeConfig, toKubernetesError } from '../../src/common/kubernetes-client.js';

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

describe('Kubernetes API failures', () => {
  it('keep the API server status under one coded type; 0 means it was not reached', () => {
    const refused = kubernetesError(403, 'secrets is forbidden');
    assert.ok(refused instanceof EcrAnywhereError);
    assert.deepEqual([refused.code, refused.apiStatus, refused.message], ['ECR_ANYWHERE_KUBERNETES_API', 403, 'secrets is forbidden']);
    const away = kubernetesError(0, 'API server unreachable (ECONNREFUSED)');
    assert.deepEqual([away.code, away.apiStatus], ['ECR_ANYWHERE_KUBERNETES_UNREACHABLE', 0]);
    assert.equal(describeError(away), 'API server unreachable (ECONNREFUSED) [ECR_ANYWHERE_KUBERNETES_UNREACHABLE]');
  });

  it('are retried when unreachable, on conflicts, throttling and server errors, never on other answers', () => {
    const retried = [0, 409, 429, 500, 503].map((status) => isRetryableApiFailure(kubernetesError(status, 'x')));
    const final = [400, 401, 403, 404, 422].map((status) => isRetryableApiFailure(kubernetesError(status, 'x')));
    assert.deepEqual([retried, final], [[true, true, true, true, true], [false, false, false, false, false]]);
    assert.equal(isRetryableApiFailure(new Error('boom')), false, 'a failure that is not an API call is not retried');
    assert.equal(isRetryableApiFailure(new EcrAnywhereError(ErrorCodes.CONFIG, 'bad')), false);
  });

  it('keep only the Status message of an API answer, never the response body', () => {
    const body = JSON.stringify({ kind: 'Status', message: 'secrets "x" not found', details: { secretData: 'c2VjcmV0' } });
    const mapped = toKubernetesError(new ApiException(404, 'Not Found', body, {}), 'get Secret a/x');
    assert.deepEqual([mapped.code, mapped.apiStatus, mapped.message], ['ECR_ANYWHERE_KUBERNETES_API', 404, 'get Secret a/x: secrets "x" not found']);
    const reset = toKubernetesError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), 'list Secrets');
    assert.deepEqual([reset.code, reset.apiStatus, reset.message], ['ECR_ANYWHERE_KUBERNETES_UNREACHABLE', 0, 'list Secrets: API server unreachable (ECONNRESET)']);
  });

  it('say what is wrong with the client configuration under their own code', () => {
    assert.throws(
      () => loadKubeConfig({ kubeconfig: kubeconfigWith('present'), context: 'missing' }),
      (error: unknown) => error instanceof EcrAnywhereError && error.code === 'ECR_ANYWHERE_KUBERNETES_CONFIG' && error.message === 'context "missing" is not in the kubeconfig',
    );
  });
});

function kubeconfigWith(context: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'ecr-anywhere-kubeconfig-')), 'config');
  writeFileSync(
    file,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'c', cluster: { server: 'https://127.0.0.1:1' } }],
      users: [{ name: 'u', user: { token: 'unused' } }],
      contexts: [{ name: context, context: { cluster: 'c', user: 'u' } }],
      'current-context': context,
    }),
  );
  return file;
}
