// `ecr-anywhere migrate` options: each bad value is a coded configuration error naming the flag.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseMigrateConfig } from '../../src/migrate/config.js';

const configError = (pattern: RegExp) => (error: unknown): boolean => {
  assert.equal((error as { code?: string }).code, 'ECR_ANYWHERE_CONFIG');
  assert.match((error as Error).message, pattern);
  return true;
};

describe('parseMigrateConfig', () => {
  it('is a dry run of every namespace by default', () => {
    assert.deepEqual(parseMigrateConfig(['--from', 'registry-creds'], {}), {
      from: 'registry-creds',
      apply: false,
      namespaces: undefined,
      secretName: undefined,
      output: 'table',
      kubeconfig: undefined,
      context: undefined,
      requestTimeoutMs: 30_000,
    });
  });

  it('reads --apply, --namespaces patterns, --secret-name, -o json, --kubeconfig and KUBE_CONTEXT', () => {
    const config = parseMigrateConfig(
      ['--from', 'k8s-ecr-login-renew', '--apply', '--namespaces', 'default, team-*,default', '--secret-name', 'ecr-login', '-o', 'json', '--kubeconfig', '/k'],
      { KUBE_CONTEXT: 'ctx' },
    );
    assert.equal(config.apply, true);
    assert.deepEqual(config.namespaces, ['default', 'team-*']);
    assert.equal(config.secretName, 'ecr-login');
    assert.equal(config.output, 'json');
    assert.equal(config.kubeconfig, '/k');
    assert.equal(config.context, 'ctx');
  });

  it('refuses a missing or unknown --from', () => {
    assert.throws(() => parseMigrateConfig([], {}), configError(/--from is required: one of kubeecr, eatr, k8s-ecr-login-renew, registry-creds/));
    assert.throws(() => parseMigrateConfig(['--from', 'kube2iam'], {}), configError(/--from must be one of/));
  });

  it('refuses --secret-name for peers with fixed names, and a name that is not a Secret name', () => {
    assert.throws(() => parseMigrateConfig(['--from', 'registry-creds', '--secret-name', 'x'], {}), configError(/k8s-ecr-login-renew only/));
    assert.throws(() => parseMigrateConfig(['--from', 'k8s-ecr-login-renew', '--secret-name', 'Bad_Name'], {}), configError(/not a valid Secret name/));
  });

  it('refuses bad --namespaces entries, an empty list and a bad --output', () => {
    assert.throws(() => parseMigrateConfig(['--from', 'eatr', '--namespaces', 'Team_A'], {}), configError(/"Team_A"/));
    assert.throws(() => parseMigrateConfig(['--from', 'eatr', '--namespaces', ' , '], {}), configError(/names no namespace/));
    assert.throws(() => parseMigrateConfig(['--from', 'eatr', '-o', 'yaml'], {}), configError(/--output must be table or json/));
  });

  it('refuses unknown flags and positionals (parseArgs)', () => {
    assert.throws(() => parseMigrateConfig(['--from', 'eatr', '--dry-run'], {}), { code: 'ERR_PARSE_ARGS_UNKNOWN_OPTION' });
    assert.throws(() => parseMigrateConfig(['--from', 'eatr', 'extra'], {}), { code: 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL' });
  });
});
