// AWS credentials reach the webhook only through the SDK's standard variables and files: static keys from an
// existing Secret, web identity with a projected token, a shared config file, and pass-through env entries.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { at, envOf, MINIMAL_VALUES, only, podTemplate, renderChart, type KubeObject, type PodSpec } from '../../harness/helm.js';

const ROLE = 'arn:aws:iam::123456789012:role/ecr-reader';

async function webhookPod(aws: Record<string, unknown>, extra: Record<string, unknown> = {}): Promise<{ objects: KubeObject[]; pod: PodSpec }> {
  const objects = await renderChart({ aws: { ...MINIMAL_VALUES.aws, ...aws }, ...extra });
  return { objects, pod: podTemplate(only(objects, 'Deployment')).spec };
}

function awsEnv(pod: PodSpec): Record<string, unknown> {
  return Object.fromEntries([...envOf(pod.containers[0]!)].filter(([name]) => name.startsWith('AWS_')));
}

describe('AWS credentials', () => {
  it('with only aws.region, sets AWS_REGION and nothing else (the SDK default chain does the rest)', async () => {
    const { pod } = await webhookPod({});
    assert.deepEqual(awsEnv(pod), { AWS_REGION: 'us-east-1' });
  });

  it('reads static keys from an existing Secret by reference, never by value', async () => {
    const { pod, objects } = await webhookPod({ existingSecret: { name: 'aws-keys', accessKeyIdKey: 'id', secretAccessKeyKey: 'secret', sessionTokenKey: 'session' } });
    assert.deepEqual(awsEnv(pod), {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: { secretKeyRef: { name: 'aws-keys', key: 'id' } },
      AWS_SECRET_ACCESS_KEY: { secretKeyRef: { name: 'aws-keys', key: 'secret' } },
      AWS_SESSION_TOKEN: { secretKeyRef: { name: 'aws-keys', key: 'session' } },
    });
    assert.equal(objects.filter((o) => o.kind === 'Secret' && o.metadata.name === 'aws-keys').length, 0, 'the chart does not create the key Secret');
  });

  it('assumes a role with a projected ServiceAccount token of the configured audience', async () => {
    const { pod } = await webhookPod({ webIdentity: { enabled: true, roleArn: ROLE, audience: 'ecr-anywhere', expirationSeconds: 7200, roleSessionName: 'ecr-anywhere' } });
    const env = awsEnv(pod);
    assert.equal(env.AWS_ROLE_ARN, ROLE);
    assert.equal(env.AWS_ROLE_SESSION_NAME, 'ecr-anywhere');
    const tokenFile = env.AWS_WEB_IDENTITY_TOKEN_FILE as string;
    const mount = pod.containers[0]?.volumeMounts?.find((m) => m.name === 'aws-web-identity');
    assert.equal(mount?.readOnly, true);
    assert.equal(tokenFile, `${mount?.mountPath}/token`);
    assert.deepEqual(at(pod.volumes?.find((v) => v.name === 'aws-web-identity'), 'projected', 'sources'), [
      { serviceAccountToken: { audience: 'ecr-anywhere', expirationSeconds: 7200, path: 'token' } },
    ]);
  });

  it('mounts an inline shared config file read-only from a chart Secret and rolls pods when it changes', async () => {
    const content = `[profile ecr]\nrole_arn = ${ROLE}\ncredential_process = /helpers/aws_signing_helper credential-process\n`;
    const { pod, objects } = await webhookPod({ configFile: { content, profile: 'ecr' } });
    const secret = only(objects, 'Secret', '-aws-config');
    assert.deepEqual(at(secret, 'stringData'), { config: content });
    const env = awsEnv(pod);
    assert.equal(env.AWS_PROFILE, 'ecr');
    const mount = pod.containers[0]?.volumeMounts?.find((m) => m.name === 'aws-config');
    assert.equal(mount?.readOnly, true);
    assert.equal(env.AWS_CONFIG_FILE, `${mount?.mountPath}/config`);
    assert.deepEqual(at(pod.volumes?.find((v) => v.name === 'aws-config'), 'secret', 'secretName'), secret.metadata.name);

    const annotation = (objects2: KubeObject[]): string | undefined => podTemplate(only(objects2, 'Deployment')).metadata.annotations?.['checksum/aws-config'];
    const changed = (await webhookPod({ configFile: { content: `${content}region = us-east-1\n` } })).objects;
    assert.ok(annotation(objects));
    assert.notEqual(annotation(objects), annotation(changed));
  });

  it('mounts an existing config Secret by key and creates none', async () => {
    const { pod, objects } = await webhookPod({ configFile: { existingSecret: 'aws-config', key: 'roles.ini' } });
    assert.deepEqual(at(pod.volumes?.find((v) => v.name === 'aws-config'), 'secret'), {
      secretName: 'aws-config',
      defaultMode: 0o444,
      items: [{ key: 'roles.ini', path: 'config' }],
    });
    assert.equal(objects.some((o) => o.kind === 'Secret' && o.metadata.name.endsWith('-aws-config')), false);
  });

  it("passes aws.env entries through after the chart's own (the original chart's pod.container.env list)", async () => {
    const entries = [
      { name: 'AWS_ACCESS_KEY_ID', valueFrom: { secretKeyRef: { name: 'legacy', key: 'AWS_ACCESS_KEY_ID' } } },
      { name: 'AWS_ROLE_ARN', value: ROLE },
    ];
    const { pod } = await webhookPod({ env: entries });
    const env = pod.containers[0]?.env ?? [];
    assert.deepEqual(env.slice(-2), entries);
  });

  it('lets extra volumes carry a credential_process helper and its key', async () => {
    const { pod } = await webhookPod({}, {
      webhook: { extraVolumes: [{ name: 'helpers', secret: { secretName: 'roles-anywhere' } }], extraVolumeMounts: [{ name: 'helpers', mountPath: '/helpers', readOnly: true }] },
    });
    assert.deepEqual(pod.volumes?.at(-1), { name: 'helpers', secret: { secretName: 'roles-anywhere' } });
    assert.deepEqual(pod.containers[0]?.volumeMounts?.at(-1), { name: 'helpers', mountPath: '/helpers', readOnly: true });
  });
});
