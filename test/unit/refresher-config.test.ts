import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseRefreshConfig, parseStatusConfig } from '../../src/refresher/config.js';

describe('parseRefreshConfig', () => {
  it('uses the documented defaults', () => {
    const config = parseRefreshConfig([], {});
    assert.deepEqual(
      [config.thresholdMs, config.force, config.dryRun, config.namespace, config.namespaceSelector, config.concurrency, config.pageSize, config.requestTimeoutMs, config.provisioning, config.logLevel, config.kubeconfig, config.context],
      [6 * 3_600_000, false, false, undefined, undefined, 8, 500, 30_000, undefined, 'info', undefined, undefined],
    );
  });

  it('reads the environment, and flags win over it', () => {
    const env = {
      REFRESH_THRESHOLD: '2h',
      REFRESH_FORCE: 'true',
      REFRESH_DRY_RUN: '1',
      REFRESH_NAMESPACE: 'team-a',
      REFRESH_NAMESPACE_SELECTOR: 'team=payments',
      REFRESH_CONCURRENCY: '4',
      REFRESH_PAGE_SIZE: '100',
      REFRESH_REQUEST_TIMEOUT: '5s',
      KUBE_CONTEXT: 'prod',
      PROVISION_SECRET_NAME: 'ecr-pull',
      PROVISION_SERVICE_ACCOUNTS: 'default, builder',
      LOG_LEVEL: 'debug',
    };
    const fromEnv = parseRefreshConfig([], env);
    assert.deepEqual(
      [fromEnv.thresholdMs, fromEnv.force, fromEnv.dryRun, fromEnv.namespace, fromEnv.namespaceSelector, fromEnv.concurrency, fromEnv.pageSize, fromEnv.requestTimeoutMs, fromEnv.context, fromEnv.provisioning, fromEnv.logLevel],
      [7_200_000, true, true, 'team-a', 'team=payments', 4, 100, 5_000, 'prod', { secretName: 'ecr-pull', serviceAccounts: ['default', 'builder'] }, 'debug'],
    );
    const flags = parseRefreshConfig(
      ['--threshold', '90m', '--namespace', 'team-b', '--concurrency', '16', '--context', 'dev', '--kubeconfig', '/k', '--provision-secret-name', 'pull', '--provision-service-accounts', 'ci'],
      env,
    );
    assert.deepEqual(
      [flags.thresholdMs, flags.namespace, flags.concurrency, flags.context, flags.kubeconfig, flags.provisioning],
      [5_400_000, 'team-b', 16, 'dev', '/k', { secretName: 'pull', serviceAccounts: ['ci'] }],
    );
  });

  it('provisions for the default ServiceAccount unless told otherwise; an empty list patches none', () => {
    assert.deepEqual(parseRefreshConfig(['--provision-secret-name', 'ecr-pull'], {}).provisioning?.serviceAccounts, ['default']);
    assert.deepEqual(parseRefreshConfig([], { PROVISION_SECRET_NAME: 'ecr-pull', PROVISION_SERVICE_ACCOUNTS: '' }).provisioning?.serviceAccounts, []);
    assert.deepEqual(parseRefreshConfig(['--provision-secret-name', 'p', '--provision-service-accounts', ''], {}).provisioning?.serviceAccounts, []);
  });

  it('boolean flags win over a false environment value', () => {
    assert.equal(parseRefreshConfig(['--dry-run'], { REFRESH_DRY_RUN: 'false' }).dryRun, true);
    assert.equal(parseRefreshConfig([], { REFRESH_FORCE: 'no' }).force, false);
  });

  const failures: Array<[string, string[], Record<string, string>, RegExp]> = [
    ['a malformed threshold', ['--threshold', 'soon'], {}, /REFRESH_THRESHOLD must be a duration/],
    ['a threshold the webhook can never satisfy', [], { REFRESH_THRESHOLD: '11h' }, /must stay below 11h/],
    ['a zero concurrency', ['--concurrency', '0'], {}, /REFRESH_CONCURRENCY must be a whole number/],
    ['a huge concurrency', ['--concurrency', '500'], {}, /at or below 64/],
    ['a fractional page size', [], { REFRESH_PAGE_SIZE: '2.5' }, /REFRESH_PAGE_SIZE must be a whole number/],
    ['a bad namespace name', ['--namespace', 'Team_A'], {}, /REFRESH_NAMESPACE "Team_A" is not a namespace name/],
    ['a bad name in the namespaces list', [], { REFRESH_NAMESPACES: 'a,B_' }, /REFRESH_NAMESPACES "B_" is not a namespace name/],
    ['both one namespace and a list', ['--namespace', 'a', '--namespaces', 'b'], {}, /REFRESH_NAMESPACE or REFRESH_NAMESPACES, not both/],
    ['an empty namespaces list', ['--namespaces', ' , '], {}, /names no namespace/],
    ['a bad excluded namespace', ['--exclude-namespaces', 'ok,NO'], {}, /REFRESH_EXCLUDED_NAMESPACES "NO"/],
    ['a bad Secret name', ['--provision-secret-name', 'ECR Pull'], {}, /PROVISION_SECRET_NAME "ECR Pull" is not a valid object name/],
    ['a bad ServiceAccount name', ['--provision-secret-name', 'p', '--provision-service-accounts', 'ok,Not OK'], {}, /PROVISION_SERVICE_ACCOUNTS "Not OK"/],
    ['service accounts without a Secret name', ['--provision-service-accounts', 'default'], {}, /needs --provision-secret-name/],
    ['a bad boolean', [], { REFRESH_FORCE: 'sometimes' }, /REFRESH_FORCE must be true or false/],
    ['a bad request timeout', ['--request-timeout', '0s'], {}, /REFRESH_REQUEST_TIMEOUT must be a duration/],
    ['a bad log level', [], { LOG_LEVEL: 'chatty' }, /LOG_LEVEL must be one of/],
    ['an unknown flag', ['--treshold', '6h'], {}, /Unknown option '--treshold'/],
    ['a positional argument', ['now'], {}, /Unexpected argument 'now'/],
  ];
  for (const [label, argv, env, message] of failures) {
    it(`refuses ${label} with a clear message`, () => assert.throws(() => parseRefreshConfig(argv, env), message));
  }
});

describe('namespace scope', () => {
  it('reads namespaced mode and excluded namespaces from flags or the environment, trimmed and deduplicated', () => {
    const config = parseRefreshConfig([], { REFRESH_NAMESPACES: ' a, b ,a,', REFRESH_EXCLUDED_NAMESPACES: 'ecr-system,infra' });
    assert.deepEqual([config.namespaces, config.excludedNamespaces], [['a', 'b'], ['ecr-system', 'infra']]);
    const defaults = parseRefreshConfig([], {});
    assert.deepEqual([defaults.namespaces, defaults.excludedNamespaces], [undefined, []]);
    assert.deepEqual(parseStatusConfig(['--namespaces', 'c'], {}).namespaces, ['c']);
  });
});

describe('parseStatusConfig', () => {
  it('defaults to a table and accepts -o json', () => {
    assert.equal(parseStatusConfig([], {}).output, 'table');
    assert.equal(parseStatusConfig(['-o', 'json'], {}).output, 'json');
    assert.equal(parseStatusConfig(['--output=json', '--namespace', 'team-a'], {}).namespace, 'team-a');
  });
  it('refuses an unknown output format and refresh-only flags', () => {
    assert.throws(() => parseStatusConfig(['-o', 'yaml'], {}), /--output must be table or json, got "yaml"/);
    assert.throws(() => parseStatusConfig(['--force'], {}), /Unknown option '--force'/);
  });
});

describe('parseRefreshConfig: REFRESH_INTERVAL', () => {
  it('defaults to 30m, reads the flag and the variable, and refuses junk', () => {
    assert.equal(parseRefreshConfig([], {}).intervalMs, 30 * 60_000);
    assert.equal(parseRefreshConfig([], { REFRESH_INTERVAL: '15m' }).intervalMs, 15 * 60_000);
    assert.equal(parseRefreshConfig(['--interval', '1h'], { REFRESH_INTERVAL: '15m' }).intervalMs, 3_600_000);
    assert.throws(() => parseRefreshConfig([], { REFRESH_INTERVAL: 'hourly' }), /REFRESH_INTERVAL must be a duration/);
  });
});
