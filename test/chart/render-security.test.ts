// Mutual TLS and the NetworkPolicy in the chart: what each value renders, the defaults that render nothing, and the
// combinations that fail the install with a message naming the value.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { at, envOf, helmTemplate, MINIMAL_VALUES, ofKind, only, podTemplate, renderChart, type KubeObject } from '../../harness/helm.js';
import { TEST_CA_PEM } from './value-sets.js';

const webhookValues = (webhook: Record<string, unknown>): Record<string, unknown> => ({ ...MINIMAL_VALUES, webhook });

function webhookPod(objects: readonly KubeObject[]) {
  const pod = podTemplate(only(objects, 'Deployment', '-webhook')).spec;
  return { pod, container: pod.containers[0]!, env: envOf(pod.containers[0]!) };
}

describe('webhook.clientAuth', () => {
  it('is off by default: no CA, no mount, TLS 1.2 as the floor', async () => {
    const objects = await renderChart(MINIMAL_VALUES);
    const { pod, container, env } = webhookPod(objects);
    assert.equal(env.get('TLS_MIN_VERSION'), '1.2');
    assert.equal(env.has('CLIENT_CA_FILE'), false);
    assert.equal(env.has('CLIENT_ALLOWED_NAMES'), false);
    assert.ok(!(pod.volumes ?? []).some((volume) => volume.name === 'client-ca'));
    assert.ok(!(container.volumeMounts ?? []).some((mount) => mount.name === 'client-ca'));
    assert.equal(ofKind(objects, 'ConfigMap').length, 0);
    assert.equal(ofKind(objects, 'NetworkPolicy').length, 0);
  });

  it('stores caBundle in a ConfigMap, mounts it and names it in CLIENT_CA_FILE with the allowed names', async () => {
    const objects = await renderChart(webhookValues({ tlsMinVersion: '1.3', clientAuth: { enabled: true, caBundle: `${TEST_CA_PEM}\n`, allowedNames: ['kube-apiserver', 'apiserver.example'] } }));
    const configMap = only(objects, 'ConfigMap', '-webhook-client-ca');
    assert.equal(at<string>(configMap, 'data', 'ca.crt').trim(), TEST_CA_PEM);
    const { pod, container, env } = webhookPod(objects);
    assert.equal(env.get('CLIENT_CA_FILE'), '/client-ca/ca.crt');
    assert.equal(env.get('CLIENT_ALLOWED_NAMES'), 'kube-apiserver,apiserver.example');
    assert.equal(env.get('TLS_MIN_VERSION'), '1.3');
    assert.deepEqual(pod.volumes?.find((volume) => volume.name === 'client-ca'), { name: 'client-ca', configMap: { name: configMap.metadata.name } });
    assert.deepEqual(container.volumeMounts?.find((mount) => mount.name === 'client-ca'), { name: 'client-ca', mountPath: '/client-ca', readOnly: true });
  });

  it('mounts an existing ConfigMap or Secret under the given key, creating nothing', async () => {
    for (const [source, volume] of [
      [{ existingConfigMap: 'apiserver-client-ca' }, { configMap: { name: 'apiserver-client-ca' } }],
      [{ existingSecret: 'apiserver-client-ca' }, { secret: { secretName: 'apiserver-client-ca' } }],
    ] as const) {
      const objects = await renderChart(webhookValues({ clientAuth: { enabled: true, key: 'bundle.pem', ...source } }));
      assert.equal(ofKind(objects, 'ConfigMap').length, 0);
      const { pod, env } = webhookPod(objects);
      assert.equal(env.get('CLIENT_CA_FILE'), '/client-ca/bundle.pem');
      assert.equal(env.has('CLIENT_ALLOWED_NAMES'), false);
      assert.deepEqual(pod.volumes?.find((entry) => entry.name === 'client-ca'), { name: 'client-ca', ...volume });
    }
  });
});

describe('webhook.networkPolicy', () => {
  it('admits the TLS port only from `from` and the ops port only from the monitoring namespace; egress untouched', async () => {
    const from = [{ ipBlock: { cidr: '10.0.0.0/24', except: ['10.0.0.7/32'] } }, { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchExpressions: [{ key: 'component', operator: 'In', values: ['kube-apiserver'] }] } }];
    const objects = await renderChart(webhookValues({ networkPolicy: { enabled: true, from } }));
    const policy = only(objects, 'NetworkPolicy', '-webhook');
    const deployment = only(objects, 'Deployment', '-webhook');
    assert.deepEqual(at(policy, 'spec', 'podSelector', 'matchLabels'), at(deployment, 'spec', 'selector', 'matchLabels'));
    assert.deepEqual(at(policy, 'spec', 'policyTypes'), ['Ingress']);
    assert.deepEqual(at(policy, 'spec', 'ingress'), [
      { from, ports: [{ port: 8443, protocol: 'TCP' }] },
      { from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }], ports: [{ port: 8080, protocol: 'TCP' }] },
    ]);
  });

  it('with opsFrom empty, nothing may reach the ops port', async () => {
    const objects = await renderChart(webhookValues({ networkPolicy: { enabled: true, from: [{ ipBlock: { cidr: '192.168.0.0/16' } }], opsFrom: [] } }));
    assert.deepEqual(at(only(objects, 'NetworkPolicy'), 'spec', 'ingress'), [{ from: [{ ipBlock: { cidr: '192.168.0.0/16' } }], ports: [{ port: 8443, protocol: 'TCP' }] }]);
  });
});

describe('security values the chart refuses', () => {
  const rejections: Array<[string, Record<string, unknown>, RegExp]> = [
    ['client auth without a CA', { clientAuth: { enabled: true } }, /needs exactly one of webhook\.clientAuth\.caBundle, existingConfigMap or existingSecret/],
    ['client auth with two CA sources', { clientAuth: { enabled: true, caBundle: TEST_CA_PEM, existingSecret: 'ca' } }, /needs exactly one of/],
    ['allowed names without client auth', { clientAuth: { allowedNames: ['kube-apiserver'] } }, /webhook\.clientAuth\.allowedNames needs webhook\.clientAuth\.enabled=true/],
    ['a NetworkPolicy with no peers for the TLS port', { networkPolicy: { enabled: true } }, /webhook\.networkPolicy\.from is required/],
    ['a typo in clientAuth', { clientAuth: { enable: true } }, /at '\/webhook\/clientAuth': additional properties 'enable' not allowed/],
    ['a base64 caBundle', { clientAuth: { enabled: true, caBundle: 'LS0tLS1CRUdJTg==' } }, /at '\/webhook\/clientAuth\/caBundle'/],
    ['allowed names as one string', { clientAuth: { enabled: true, caBundle: TEST_CA_PEM, allowedNames: 'a,b' } }, /at '\/webhook\/clientAuth\/allowedNames': got string, want array/],
    ['an allowed name with a comma', { clientAuth: { enabled: true, caBundle: TEST_CA_PEM, allowedNames: ['a,b'] } }, /at '\/webhook\/clientAuth\/allowedNames\/0'/],
    ['TLS 1.1', { tlsMinVersion: '1.1' }, /at '\/webhook\/tlsMinVersion'/],
    ['a typo in networkPolicy', { networkPolicy: { enabled: true, ingress: [] } }, /at '\/webhook\/networkPolicy': additional properties 'ingress' not allowed/],
    ['a peer with an unknown key', { networkPolicy: { enabled: true, from: [{ ipblock: { cidr: '10.0.0.0/8' } }] } }, /at '\/webhook\/networkPolicy\/from\/0': additional properties 'ipblock' not allowed/],
    ['an empty peer (it would admit everyone)', { networkPolicy: { enabled: true, from: [{}] } }, /at '\/webhook\/networkPolicy\/from\/0': minProperties/],
    ['a CIDR without a prefix length', { networkPolicy: { enabled: true, from: [{ ipBlock: { cidr: '10.0.0.1' } }] } }, /at '\/webhook\/networkPolicy\/from\/0\/ipBlock\/cidr'/],
    ['an unknown selector operator', { networkPolicy: { enabled: true, from: [{ podSelector: { matchExpressions: [{ key: 'a', operator: 'Equals' }] } }] } }, /at '\/webhook\/networkPolicy\/from\/0\/podSelector\/matchExpressions\/0\/operator'/],
    ['a typo in an ops peer selector', { networkPolicy: { enabled: true, from: [{ ipBlock: { cidr: '10.0.0.0/8' } }], opsFrom: [{ namespaceSelector: { matchLabel: {} } }] } }, /at '\/webhook\/networkPolicy\/opsFrom\/0\/namespaceSelector': additional properties 'matchLabel' not allowed/],
  ];
  for (const [name, webhook, message] of rejections) {
    it(`refuses ${name}`, async () => {
      const result = await helmTemplate(webhookValues(webhook));
      assert.notEqual(result.code, 0, 'helm template succeeded');
      assert.match(result.stderr, message);
    });
  }
});
