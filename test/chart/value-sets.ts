// Value sets the chart tests render, lint and (in e2e) install: the default install and edge cases of each option.
import { MINIMAL_VALUES } from '../../harness/helm.js';

export const TEST_CA_PEM = `-----BEGIN CERTIFICATE-----
MIIBdzCCAR2gAwIBAgIUOm0yzYjGm0Ow2Zt3aQ8hC3b0oKMwCgYIKoZIzj0EAwIw
-----END CERTIFICATE-----`;

export const EDGE_VALUES = {
  'client authentication and a NetworkPolicy': {
    ...MINIMAL_VALUES,
    webhook: {
      tlsMinVersion: '1.3',
      clientAuth: { enabled: true, caBundle: TEST_CA_PEM, allowedNames: ['kube-apiserver-webhook-client'] },
      networkPolicy: { enabled: true, from: [{ ipBlock: { cidr: '10.0.0.0/24' } }] },
    },
  },
  'cert-manager with its own CA': {
    ...MINIMAL_VALUES,
    tls: { mode: 'certManager' },
  },
  'cert-manager with a ClusterIssuer': {
    ...MINIMAL_VALUES,
    tls: { mode: 'certManager', certManager: { issuerRef: { name: 'corp-ca', kind: 'ClusterIssuer', group: 'cert-manager.io' } } },
  },
  'manual TLS (the original chart)': {
    ...MINIMAL_VALUES,
    tls: { mode: 'manual', manual: { secretName: 'ecr-anywhere-tls', caBundle: TEST_CA_PEM } },
  },
  'every AWS credential option': {
    aws: {
      region: 'eu-west-1',
      env: [
        { name: 'AWS_STS_REGIONAL_ENDPOINTS', value: 'regional' },
        { name: 'AWS_EC2_METADATA_DISABLED', valueFrom: { configMapKeyRef: { name: 'aws-settings', key: 'imds' } } },
      ],
      existingSecret: { name: 'aws-keys', sessionTokenKey: 'AWS_SESSION_TOKEN' },
      webIdentity: { enabled: true, roleArn: 'arn:aws:iam::123456789012:role/ecr-reader', audience: 'ecr-anywhere', roleSessionName: 'ecr-anywhere' },
      configFile: { content: '[profile ecr]\nrole_arn = arn:aws:iam::123456789012:role/ecr-reader\ncredential_process = /helpers/aws_signing_helper credential-process\n', profile: 'ecr' },
    },
    webhook: {
      extraVolumes: [{ name: 'helpers', emptyDir: {} }],
      extraVolumeMounts: [{ name: 'helpers', mountPath: '/helpers', readOnly: true }],
    },
  },
  'everything optional on': {
    ...MINIMAL_VALUES,
    fullnameOverride: 'ecr',
    commonLabels: { team: 'platform' },
    extraNamespaceLabels: { team: 'payments', 'example.com/tier': 'prod' },
    image: { repository: 'registry.example.com/ecr-anywhere', digest: `sha256:${'a'.repeat(64)}` },
    imagePullSecrets: [{ name: 'registry-pull' }],
    logLevel: 'debug',
    webhook: {
      replicaCount: 3,
      failurePolicy: 'Ignore',
      timeoutSeconds: 5,
      excludedNamespaces: ['monitoring'],
      priorityClassName: 'system-cluster-critical',
      podAnnotations: { 'example.com/a': 'b' },
      podLabels: { tier: 'control' },
      nodeSelector: { 'kubernetes.io/os': 'linux' },
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'platform', effect: 'NoSchedule' }],
      podDisruptionBudget: { maxUnavailable: '50%' },
      serviceAccount: { annotations: { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/ecr-reader' } },
    },
    refresher: {
      schedule: '*/15 * * * *',
      timeZone: 'Etc/UTC',
      threshold: '4h30m',
      concurrency: 16,
      provisioning: { secretName: 'ecr-pull', serviceAccounts: ['default', 'builder'] },
      priorityClassName: 'system-cluster-critical',
    },
    metrics: { serviceMonitor: { enabled: true, labels: { release: 'prometheus' } }, prometheusRule: { enabled: true } },
  },
  'refresher off, one replica, no PDB': {
    ...MINIMAL_VALUES,
    refresher: { enabled: false },
    webhook: { replicaCount: 1, podDisruptionBudget: { enabled: false } },
  },
  'a 53-character release name': {
    ...MINIMAL_VALUES,
    nameOverride: 'ecr-anywhere-with-a-long-name',
    fullnameOverride: 'a-very-long-release-name-that-pushes-every-limit-12345',
  },
} satisfies Record<string, Record<string, unknown>>;
