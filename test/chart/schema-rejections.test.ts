// Bad values fail `helm template` (and so `helm install`) with a message that names the value, before anything
// reaches the cluster: unknown keys (the original chart's typo class), wrong types, out-of-range numbers, and the
// inputs only the templates can judge.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { helmTemplate, MINIMAL_VALUES } from '../../harness/helm.js';

interface Rejection {
  readonly name: string;
  readonly values: Record<string, unknown>;
  /** What helm's error must say (the path of the value, or our message). */
  readonly message: RegExp;
}

const withRegion = (values: Record<string, unknown>): Record<string, unknown> => ({ ...MINIMAL_VALUES, ...values });

const REJECTIONS: readonly Rejection[] = [
  // Unknown keys, at every level.
  { name: "the original chart's pod.container.env", values: withRegion({ pod: { container: { env: [] } } }), message: /additional properties 'pod' not allowed/ },
  { name: 'a typo at the top level', values: withRegion({ replicaCount: 3 }), message: /additional properties 'replicaCount' not allowed/ },
  { name: 'a typo inside webhook', values: withRegion({ webhook: { replicas: 3 } }), message: /at '\/webhook': additional properties 'replicas' not allowed/ },
  { name: 'a typo inside tls.manual', values: withRegion({ tls: { mode: 'manual', manual: { secret: 'x' } } }), message: /at '\/tls\/manual': additional properties 'secret' not allowed/ },
  { name: 'a typo in an aws.env entry', values: withRegion({ aws: { region: 'us-east-1', env: [{ name: 'A', valu: 'b' }] } }), message: /at '\/aws\/env\/0': additional properties 'valu' not allowed/ },
  { name: 'a typo in resources', values: withRegion({ webhook: { resources: { request: { cpu: '1' } } } }), message: /at '\/webhook\/resources': additional properties 'request' not allowed/ },
  { name: 'a typo in the container security context', values: withRegion({ containerSecurityContext: { readOnlyRootFileSystem: true } }), message: /additional properties 'readOnlyRootFileSystem' not allowed/ },
  // Wrong types and values.
  { name: 'replicaCount as a word', values: withRegion({ webhook: { replicaCount: 'two' } }), message: /at '\/webhook\/replicaCount': got string, want integer/ },
  { name: 'a negative replicaCount', values: withRegion({ webhook: { replicaCount: -1 } }), message: /at '\/webhook\/replicaCount': minimum/ },
  { name: 'timeoutSeconds above the API server limit', values: withRegion({ webhook: { timeoutSeconds: 30 } }), message: /at '\/webhook\/timeoutSeconds': maximum: got 30, want 10/ },
  { name: 'an unknown failurePolicy', values: withRegion({ webhook: { failurePolicy: 'fail' } }), message: /at '\/webhook\/failurePolicy'/ },
  { name: 'an unknown TLS mode', values: withRegion({ tls: { mode: 'auto' } }), message: /at '\/tls\/mode'/ },
  { name: 'a malformed region', values: { aws: { region: 'US East' } }, message: /at '\/aws\/region'/ },
  { name: 'env as a map (not a list of EnvVar)', values: withRegion({ aws: { region: 'us-east-1', env: { AWS_PROFILE: 'x' } } }), message: /at '\/aws\/env': got object, want array/ },
  { name: 'an env entry with both value and valueFrom', values: withRegion({ aws: { region: 'us-east-1', env: [{ name: 'A', value: 'b', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }] } }), message: /at '\/aws\/env\/0'/ },
  { name: 'a malformed role ARN', values: withRegion({ aws: { region: 'us-east-1', webIdentity: { enabled: true, roleArn: 'ecr-reader' } } }), message: /at '\/aws\/webIdentity\/roleArn'/ },
  { name: 'a projected token shorter than 10 minutes', values: withRegion({ aws: { region: 'us-east-1', webIdentity: { expirationSeconds: 60 } } }), message: /at '\/aws\/webIdentity\/expirationSeconds': minimum/ },
  { name: 'a malformed ECR timeout', values: withRegion({ webhook: { ecrTimeout: '4 seconds' } }), message: /at '\/webhook\/ecrTimeout'/ },
  { name: 'a malformed refresh threshold', values: withRegion({ refresher: { threshold: 'six hours' } }), message: /at '\/refresher\/threshold'/ },
  { name: 'refresher concurrency above 64', values: withRegion({ refresher: { concurrency: 100 } }), message: /at '\/refresher\/concurrency': maximum/ },
  { name: 'refresher.enabled as a string', values: withRegion({ refresher: { enabled: 'yes' } }), message: /at '\/refresher\/enabled': got string, want boolean/ },
  { name: 'an image digest without its algorithm', values: withRegion({ image: { digest: 'abc' } }), message: /at '\/image\/digest'/ },
  { name: 'provisioning service accounts as one string', values: withRegion({ refresher: { provisioning: { secretName: 'ecr', serviceAccounts: 'default,builder' } } }), message: /at '\/refresher\/provisioning\/serviceAccounts': got string, want array/ },
  { name: 'an upper-case fullnameOverride', values: withRegion({ fullnameOverride: 'ECR' }), message: /at '\/fullnameOverride'/ },
  { name: 'a namespace label value with a space', values: withRegion({ extraNamespaceLabels: { team: 'pay ments' } }), message: /at '\/extraNamespaceLabels\/team'/ },
  { name: 'a PDB percentage without %', values: withRegion({ webhook: { podDisruptionBudget: { maxUnavailable: '50' } } }), message: /at '\/webhook\/podDisruptionBudget\/maxUnavailable'/ },
  // Judged by the templates, with our own messages.
  { name: 'no aws.region', values: {}, message: /aws\.region is required: the AWS region of your default ECR registry/ },
  { name: 'AWS_REGION in aws.env', values: withRegion({ aws: { region: 'us-east-1', env: [{ name: 'AWS_REGION', value: 'eu-west-1' }] } }), message: /aws\.env must not set AWS_REGION: use aws\.region instead/ },
  { name: 'web identity without a role', values: withRegion({ aws: { region: 'us-east-1', webIdentity: { enabled: true } } }), message: /aws\.webIdentity\.roleArn is required when aws\.webIdentity\.enabled=true/ },
  { name: 'both an existing config Secret and inline content', values: withRegion({ aws: { region: 'us-east-1', configFile: { existingSecret: 'c', content: '[default]' } } }), message: /aws\.configFile: set existingSecret or content, not both/ },
  { name: 'manual TLS without a Secret', values: withRegion({ tls: { mode: 'manual', manual: { caBundle: 'Zm9v' } } }), message: /tls\.manual\.secretName is required when tls\.mode=manual/ },
  { name: 'a plain-http webhook.url', values: withRegion({ webhook: { url: 'http://127.0.0.1:9443/sync' } }), message: /at '\/webhook\/url': '.*' does not match pattern/ },
  { name: 'webhook.url outside manual TLS', values: withRegion({ webhook: { url: 'https://127.0.0.1:9443/sync' } }), message: /webhook\.url needs tls\.mode=manual/ },
  { name: 'manual TLS without a caBundle', values: withRegion({ tls: { mode: 'manual', manual: { secretName: 'tls' } } }), message: /tls\.manual\.caBundle is required when tls\.mode=manual/ },
];

describe('values the chart refuses', () => {
  for (const rejection of REJECTIONS) {
    it(`refuses ${rejection.name}`, async () => {
      const result = await helmTemplate(rejection.values);
      assert.notEqual(result.code, 0, `helm template accepted it:\n${result.stdout.slice(0, 400)}`);
      assert.match(result.stderr, rejection.message);
      assert.equal(result.stdout.trim(), '', 'nothing may be rendered when the values are refused');
    });
  }

  it('accepts the minimal values (the control for every refusal above)', async () => {
    const result = await helmTemplate(MINIMAL_VALUES);
    assert.equal(result.code, 0, result.stderr);
  });
});
