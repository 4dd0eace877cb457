import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseWebhookConfig } from '../../src/webhook/config.js';

describe('parseWebhookConfig', () => {
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

  const failures: Array<[string, string[], Record<string, string>, RegExp]> = [
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
});
