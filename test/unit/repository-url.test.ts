import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { registryOfRepositoryUrl } from '../../src/admission/repository-url.js';

const HOST = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';

describe('registryOfRepositoryUrl (an Argo CD repository url)', () => {
  const valid: Array<[string, string, string]> = [
    [`oci://${HOST}/charts/app`, HOST, 'eu-west-1'],
    [`oci://${HOST}`, HOST, 'eu-west-1'],
    [`https://${HOST}/charts`, HOST, 'eu-west-1'],
    [`HTTPS://${HOST.toUpperCase()}/`, HOST, 'eu-west-1'],
    [HOST, HOST, 'eu-west-1'],
    [` ${HOST}/team/charts `, HOST, 'eu-west-1'],
    ['oci://public.ecr.aws/team/charts', 'public.ecr.aws', 'public.ecr.aws'],
    ['public.ecr.aws', 'public.ecr.aws', 'public.ecr.aws'],
  ];
  for (const [url, host, scope] of valid) {
    it(`takes ${JSON.stringify(url)} as ${host}`, () => {
      const registry = registryOfRepositoryUrl(url);
      assert.ok('host' in registry, JSON.stringify(registry));
      assert.deepEqual([registry.host, registry.tokenScope], [host, scope]);
    });
  }

  const invalid: Array<[string, RegExp]> = [
    ['', /it is empty/],
    ['   ', /it is empty/],
    ['oci://ghcr.io/team/charts', /its host "ghcr\.io" is not an ECR registry: expected <12-digit account>/],
    ['https://charts.example.com', /its host "charts\.example\.com" is not an ECR registry/],
    [`http://${HOST}/charts`, /scheme http:\/\/ is not one of oci:\/\/, https:\/\//],
    [`git://${HOST}`, /scheme git:\/\//],
    [`oci://${HOST}:443/charts`, /is not an ECR registry/],
    [`https://AWS:hunter2@${HOST}/charts`, /credentials belong in the username and password keys/],
    ['oci://123456789012.dkr.ecr.xx-fake-9.amazonaws.com/charts', /"xx-fake-9" is not a region/],
  ];
  for (const [url, reason] of invalid) {
    it(`refuses ${JSON.stringify(url)}`, () => {
      const registry = registryOfRepositoryUrl(url);
      assert.ok('reason' in registry, JSON.stringify(registry));
      assert.match(registry.reason, reason);
      assert.doesNotMatch(registry.reason, /hunter2/, 'a password in the url is never echoed');
    });
  }
});
