import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseWebhookConfig } from '../../src/webhook/config.js';

const SELF = {
  AWS_REGION: 'us-east-1',
  TLS_MODE: 'self',
  TLS_SECRET_NAME: 'ecr-anywhere-tls',
  POD_NAMESPACE: 'ecr-system',
  WEBHOOK_CONFIGURATION_NAME: 'ecr-anywhere',
  SERVICE_NAME: 'ecr-anywhere',
};

describe('parseWebhookConfig', () => {
  it('reads the tenancy settings: watch on, any registry and no role by default', () => {
    const defaults = parseWebhookConfig([], { AWS_REGION: 'us-east-1' });
    assert.deepEqual([defaults.namespaceWatch, defaults.tenancy.allowed.text, defaults.tenancy.requireRole, defaults.kubeconfig], [true, '*', false, undefined]);
    const set = parseWebhookConfig(['--namespace-watch', 'off', '--require-namespace-role', '--kubeconfig', '/k'], {
      AWS_REGION: 'us-east-1',
      DEFAULT_ALLOWED_REGISTRIES: ' 111111111111.dkr.ecr.*.amazonaws.com ,',
    });
    assert.deepEqual([set.namespaceWatch, set.tenancy.allowed.text, set.tenancy.requireRole, set.kubeconfig], [false, '111111111111.dkr.ecr.*.amazonaws.com', true, '/k']);
    assert.equal(parseWebhookConfig([], { AWS_REGION: 'us-east-1', NAMESPACE_WATCH: 'OFF', DEFAULT_ALLOWED_REGISTRIES: 'none' }).tenancy.allowed.text, 'none');
  });

  it('refuses malformed tenancy settings, naming them', () => {
    assert.throws(() => parseWebhookConfig([], { AWS_REGION: 'us-east-1', NAMESPACE_WATCH: 'maybe' }), /NAMESPACE_WATCH must be on or off, got "maybe"/);
    assert.throws(() => parseWebhookConfig([], { AWS_REGION: 'us-east-1', DEFAULT_ALLOWED_REGISTRIES: 'docker.io' }), /DEFAULT_ALLOWED_REGISTRIES has an invalid entry "docker\.io"/);
    assert.throws(() => parseWebhookConfig([], { AWS_REGION: 'us-east-1', REQUIRE_NAMESPACE_ROLE: 'sometimes' }), /REQUIRE_NAMESPACE_ROLE must be true or false/);
  });

  it('uses the documented defaults', () => {
    const config = parseWebhookConfig([], { AWS_REGION: 'us-east-1' });
    assert.deepEqual(
      [config.port, config.opsPort, config.host, config.certFile, config.keyFile, config.logLevel, config.ecrTimeoutMs],
      [8443, 8080, '0.0.0.0', undefined, undefined, 'info', 4000],
    );
  });

  it('reads the environment, and flags win over it', () => {
    const env = { AWS_REGION: 'us-east-1', PORT: '9443', OPS_PORT: '9090', CERT_FILE: '/c', KEY_FILE: '/k', LOG_LEVEL: 'DEBUG' };
    const config = parseWebhookConfig(['--port', '10443', '--aws-region', 'eu-west-1'], env);
    assert.deepEqual(
      [config.port, config.opsPort, config.certFile, config.keyFile, config.awsRegion, config.logLevel],
      [10443, 9090, '/c', '/k', 'eu-west-1', 'debug'],
    );
  });

  it('falls back to AWS_DEFAULT_REGION', () => {
    assert.equal(parseWebhookConfig([], { AWS_DEFAULT_REGION: 'ap-south-1' }).awsRegion, 'ap-south-1');
  });

  it('picks the TLS mode: files with CERT_FILE/KEY_FILE, else ephemeral, or as TLS_MODE says', () => {
    assert.equal(parseWebhookConfig([], { AWS_REGION: 'us-east-1' }).tlsMode, 'ephemeral');
    assert.equal(parseWebhookConfig([], { AWS_REGION: 'us-east-1', CERT_FILE: '/c', KEY_FILE: '/k' }).tlsMode, 'files');
    assert.equal(parseWebhookConfig(['--tls-mode', 'ephemeral'], { AWS_REGION: 'us-east-1', TLS_MODE: 'self' }).tlsMode, 'ephemeral');
    assert.equal(parseWebhookConfig([], { AWS_REGION: 'us-east-1' }).selfTls, undefined);
  });

  it('reads the self-managed TLS settings, with the Service names first and extra hosts after', () => {
    const config = parseWebhookConfig(['--tls-check-interval', '5s'], { ...SELF, TLS_EXTRA_HOSTS: ' 127.0.0.1, Webhook.Example.com,,ecr-anywhere ', TLS_LEAF_VALIDITY: '1h', TLS_CA_VALIDITY: '3h' });
    assert.equal(config.tlsMode, 'self');
    assert.deepEqual(config.selfTls, {
      secretName: 'ecr-anywhere-tls',
      namespace: 'ecr-system',
      webhookConfigurationName: 'ecr-anywhere',
      serviceName: 'ecr-anywhere',
      hosts: ['ecr-anywhere', 'ecr-anywhere.ecr-system', 'ecr-anywhere.ecr-system.svc', 'ecr-anywhere.ecr-system.svc.cluster.local', '127.0.0.1', 'webhook.example.com'],
      kubeconfig: undefined,
      checkIntervalMs: 5_000,
      leafValidityMs: 3_600_000,
      caValidityMs: 10_800_000,
    });
  });

  it('defaults self-managed certificates to a 1-year serving certificate, a 10-year CA and a 60 s check', () => {
    const config = parseWebhookConfig(['--kubeconfig', '/k/config'], SELF);
    assert.deepEqual(
      [config.selfTls?.leafValidityMs, config.selfTls?.caValidityMs, config.selfTls?.checkIntervalMs, config.selfTls?.kubeconfig],
      [365 * 86_400_000, 3650 * 86_400_000, 60_000, '/k/config'],
    );
  });

  const failures: Array<[string, string[], Record<string, string>, RegExp]> = [
    ['an unknown TLS mode', [], { AWS_REGION: 'us-east-1', TLS_MODE: 'cert-manager' }, /TLS_MODE must be one of files, self, ephemeral; got "cert-manager"/],
    ['TLS_MODE=files without files', [], { AWS_REGION: 'us-east-1', TLS_MODE: 'files' }, /TLS_MODE=files needs CERT_FILE and KEY_FILE/],
    ['certificate files in self mode', [], { ...SELF, CERT_FILE: '/c', KEY_FILE: '/k' }, /only read with TLS_MODE=files/],
    ['self mode without TLS_SECRET_NAME', [], { ...SELF, TLS_SECRET_NAME: '' }, /TLS_SECRET_NAME is required with TLS_MODE=self/],
    ['self mode without POD_NAMESPACE', [], { ...SELF, POD_NAMESPACE: '' }, /POD_NAMESPACE is required with TLS_MODE=self/],
    ['self mode without WEBHOOK_CONFIGURATION_NAME', [], { ...SELF, WEBHOOK_CONFIGURATION_NAME: '' }, /WEBHOOK_CONFIGURATION_NAME is required/],
    ['self mode without SERVICE_NAME', [], { ...SELF, SERVICE_NAME: '' }, /SERVICE_NAME is required/],
    ['a Secret name that is not a Kubernetes name', [], { ...SELF, TLS_SECRET_NAME: 'My_Secret' }, /TLS_SECRET_NAME "My_Secret" is not a valid Kubernetes name/],
    ['a dotted namespace', [], { ...SELF, POD_NAMESPACE: 'a.b' }, /POD_NAMESPACE "a.b" is not a valid/],
    ['an extra host that is neither name nor address', [], { ...SELF, TLS_EXTRA_HOSTS: '127.0.0.1,http://x' }, /TLS_EXTRA_HOSTS: "http:\/\/x" is neither/],
    ['a serving certificate longer than a third of the CA', [], { ...SELF, TLS_LEAF_VALIDITY: '2d', TLS_CA_VALIDITY: '5d' }, /TLS_LEAF_VALIDITY \(2d 0h\) must be at most a third of TLS_CA_VALIDITY \(5d 0h\)/],
    ['a check interval too long for the certificate', [], { ...SELF, TLS_LEAF_VALIDITY: '1m', TLS_CA_VALIDITY: '1h', TLS_CHECK_INTERVAL: '15s' }, /TLS_CHECK_INTERVAL \(15s\) is too long for TLS_LEAF_VALIDITY \(1m\)/],
    ['a malformed validity', [], { ...SELF, TLS_CA_VALIDITY: '10 years' }, /TLS_CA_VALIDITY must be a duration/],
    ['no region', [], {}, /AWS_REGION is required/],
    ['a bad region', [], { AWS_REGION: 'mars' }, /not an AWS region/],
    ['a bad port', [], { AWS_REGION: 'us-east-1', PORT: 'https' }, /PORT must be a port number/],
    ['a cert without key', [], { AWS_REGION: 'us-east-1', CERT_FILE: '/c' }, /CERT_FILE and KEY_FILE go together/],
    ['a bad log level', [], { AWS_REGION: 'us-east-1', LOG_LEVEL: 'loud' }, /LOG_LEVEL must be one of/],
    ['a too long ECR timeout', ['--ecr-timeout', '20s'], { AWS_REGION: 'us-east-1' }, /at or below 8s/],
    ['an unknown flag', ['--prot', '1'], { AWS_REGION: 'us-east-1' }, /Unknown option '--prot'/],
  ];
  for (const [label, argv, env, message] of failures) {
    it(`refuses ${label} with a clear message`, () => assert.throws(() => parseWebhookConfig(argv, env), message));
  }

  it('leaves client authentication off and TLS 1.2 as the floor by default', () => {
    const config = parseWebhookConfig([], { AWS_REGION: 'us-east-1' });
    assert.deepEqual([config.clientCaFile, config.clientAllowedNames, config.tlsMinVersion], [undefined, [], 'TLSv1.2']);
  });

  it('reads the client CA, the allowed names (trimmed, deduplicated) and the TLS floor; flags win', () => {
    const env = { AWS_REGION: 'us-east-1', CLIENT_CA_FILE: '/ca.pem', CLIENT_ALLOWED_NAMES: ' kube-apiserver , webhook.svc,,kube-apiserver', TLS_MIN_VERSION: '1.3' };
    const fromEnv = parseWebhookConfig([], env);
    assert.deepEqual([fromEnv.clientCaFile, fromEnv.clientAllowedNames, fromEnv.tlsMinVersion], ['/ca.pem', ['kube-apiserver', 'webhook.svc'], 'TLSv1.3']);
    const fromFlags = parseWebhookConfig(['--client-ca-file', '/other.pem', '--client-allowed-names', 'apiserver', '--tls-min-version', 'TLSv1.2'], env);
    assert.deepEqual([fromFlags.clientCaFile, fromFlags.clientAllowedNames, fromFlags.tlsMinVersion], ['/other.pem', ['apiserver'], 'TLSv1.2']);
  });

  it('refuses allowed names without a client CA, an empty name list and an unknown TLS version', () => {
    assert.throws(() => parseWebhookConfig([], { AWS_REGION: 'us-east-1', CLIENT_ALLOWED_NAMES: 'kube-apiserver' }), /CLIENT_ALLOWED_NAMES needs CLIENT_CA_FILE/);
    assert.throws(() => parseWebhookConfig([], { AWS_REGION: 'us-east-1', CLIENT_CA_FILE: '/ca', CLIENT_ALLOWED_NAMES: ' , ' }), /lists no name/);
    for (const version of ['1.1', 'TLSv1', 'ssl3']) {
      assert.throws(() => parseWebhookConfig([], { AWS_REGION: 'us-east-1', TLS_MIN_VERSION: version }), /TLS_MIN_VERSION must be 1.2 or 1.3/);
    }
  });

  it('refuses an AWS_REGION no AWS partition lists', () => {
    for (const region of ['xx-fake-9', 'us-fake-9']) {
      assert.throws(() => parseWebhookConfig([], { AWS_REGION: region }), (error: Error & { code?: string }) => error.code === 'ECR_ANYWHERE_CONFIG' && /not a region of any AWS partition/.test(error.message));
    }
    assert.equal(parseWebhookConfig([], { AWS_REGION: 'us-gov-west-1' }).awsRegion, 'us-gov-west-1');
  });
});

describe('parseWebhookConfig: what the webhook knows about token lives', () => {
  it('reads REFRESH_THRESHOLD (default 6h) and AWS_ROLE_SESSION_DURATION (default unset)', () => {
    const defaults = parseWebhookConfig([], { AWS_REGION: 'us-east-1' });
    assert.deepEqual([defaults.staleThresholdMs, defaults.sessionDurationSeconds], [6 * 3_600_000, undefined]);
    const set = parseWebhookConfig(['--aws-session-duration', '12h'], { AWS_REGION: 'us-east-1', REFRESH_THRESHOLD: '4h' });
    assert.deepEqual([set.staleThresholdMs, set.sessionDurationSeconds], [4 * 3_600_000, 43_200]);
  });

  it('refuses a session duration outside STS limits and a threshold the webhook could never satisfy', () => {
    assert.throws(() => parseWebhookConfig([], { AWS_REGION: 'us-east-1', AWS_ROLE_SESSION_DURATION: '13h' }), /AWS_ROLE_SESSION_DURATION must be between 15m and 12h/);
    assert.throws(() => parseWebhookConfig([], { AWS_REGION: 'us-east-1', AWS_ROLE_SESSION_DURATION: '5m' }), /between 15m and 12h/);
    assert.throws(() => parseWebhookConfig([], { AWS_REGION: 'us-east-1', AWS_ROLE_SESSION_DURATION: 'long' }), /must be a duration/);
    assert.throws(() => parseWebhookConfig([], { AWS_REGION: 'us-east-1', REFRESH_THRESHOLD: '11h' }), /REFRESH_THRESHOLD must stay below 11h/);
  });
});

describe('parseWebhookConfig: the ServiceAccount pull Secret', () => {
  it('is unset by default, read from SERVICE_ACCOUNT_PULL_SECRET, and the flag wins', () => {
    assert.equal(parseWebhookConfig([], { AWS_REGION: 'us-east-1' }).serviceAccountPullSecret, undefined);
    assert.equal(parseWebhookConfig([], { AWS_REGION: 'us-east-1', SERVICE_ACCOUNT_PULL_SECRET: 'ecr-pull' }).serviceAccountPullSecret, 'ecr-pull');
    const both = parseWebhookConfig(['--service-account-pull-secret', 'from-flag'], { AWS_REGION: 'us-east-1', SERVICE_ACCOUNT_PULL_SECRET: 'from-env' });
    assert.equal(both.serviceAccountPullSecret, 'from-flag');
  });

  it('refuses a name that is not an object name, with the coded config error', () => {
    for (const bad of ['Ecr_Pull', 'a/b', 'x'.repeat(254)]) {
      assert.throws(
        () => parseWebhookConfig([], { AWS_REGION: 'us-east-1', SERVICE_ACCOUNT_PULL_SECRET: bad }),
        (error: Error & { code?: string }) => error.code === 'ECR_ANYWHERE_CONFIG' && /SERVICE_ACCOUNT_PULL_SECRET ".*" is not a valid object name/.test(error.message),
      );
    }
  });
});
