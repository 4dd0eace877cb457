// Tenant policy as tables: pattern parsing, matching, a Namespace's standing, session names, refusals.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  disallowedRegistry,
  namespaceStanding,
  OPEN_TENANCY,
  parseRegistryPatterns,
  patternMatches,
  sessionNameFor,
  trustedReviewStanding,
  type NamespacePolicy,
  type TenancyDefaults,
} from '../../src/admission/tenant-policy.js';
import { ALLOWED_REGISTRIES_ANNOTATION, NAMESPACE_LABEL, ROLE_ARN_ANNOTATION, ROLE_EXTERNAL_ID_ANNOTATION } from '../../src/common/names.js';
import { parseRegistryEntry, type EcrRegistry } from '../../src/ecr/registry-host.js';

function registry(host: string): EcrRegistry {
  const parsed = parseRegistryEntry(host);
  assert.ok('host' in parsed, host);
  return parsed;
}

function patterns(text: string): TenancyDefaults['allowed'] {
  const parsed = parseRegistryPatterns(text);
  assert.ok(parsed.ok, text);
  return { patterns: parsed.patterns, text: parsed.text };
}

describe('parseRegistryPatterns', () => {
  const valid: Array<[string, string]> = [
    ['*', '*'],
    ['none', 'none'],
    [' NONE ', 'none'],
    ['111111111111.dkr.ecr.*.amazonaws.com', '111111111111.dkr.ecr.*.amazonaws.com'],
    ['*.dkr.ecr.eu-west-1.amazonaws.com, 222222222222.dkr.ecr.us-east-1.amazonaws.com,', '*.dkr.ecr.eu-west-1.amazonaws.com,222222222222.dkr.ecr.us-east-1.amazonaws.com'],
    ['*.dkr.ecr.*.amazonaws.com', '*.dkr.ecr.*.amazonaws.com'],
    ['*.dkr.ecr-fips.us-gov-west-1.amazonaws.com', '*.dkr.ecr-fips.us-gov-west-1.amazonaws.com'],
    ['333333333333.dkr.ecr.*.amazonaws.com.cn', '333333333333.dkr.ecr.*.amazonaws.com.cn'],
    ['333333333333.DKR.ECR.CN-NORTH-1.AMAZONAWS.COM.CN', '333333333333.dkr.ecr.cn-north-1.amazonaws.com.cn'],
    ['Public.ECR.aws, 111111111111.dkr.ecr.*.amazonaws.com', 'public.ecr.aws,111111111111.dkr.ecr.*.amazonaws.com'],
  ];
  for (const [text, normal] of valid) {
    it(`accepts ${JSON.stringify(text)}`, () => {
      const parsed = parseRegistryPatterns(text);
      assert.ok(parsed.ok, JSON.stringify(parsed));
      assert.equal(parsed.text, normal);
    });
  }

  const invalid: Array<[string, string, RegExp]> = [
    ['', '', /empty/],
    ['  ', '', /empty/],
    ['1111*.dkr.ecr.us-east-1.amazonaws.com', '1111*.dkr.ecr.us-east-1.amazonaws.com', /stands for the whole account/],
    ['111111111111.dkr.ecr.eu-*.amazonaws.com', '111111111111.dkr.ecr.eu-*.amazonaws.com', /whole region/],
    ['*.amazonaws.com', '*.amazonaws.com', /expected/],
    ['111111111111.dkr.ecr.us-east-1.amazonaws.com, **', '**', /expected/],
    ['https://111111111111.dkr.ecr.us-east-1.amazonaws.com', 'https://111111111111.dkr.ecr.us-east-1.amazonaws.com', /without scheme/],
    ['111111111111.dkr.ecr.cn-north-1.amazonaws.com', '111111111111.dkr.ecr.cn-north-1.amazonaws.com', /China regions use/],
    ['111111111111.dkr.ecr.us-east-1.amazonaws.com.cn', '111111111111.dkr.ecr.us-east-1.amazonaws.com.cn', /only China regions/],
    ['docker.io', 'docker.io', /expected/],
    ['none,*', 'none', /expected/],
    ['public.ecr.aws/team', 'public.ecr.aws/team', /without scheme/],
    ['*.ecr.aws', '*.ecr.aws', /or public\.ecr\.aws, or \* alone/],
  ];
  for (const [text, entry, reason] of invalid) {
    it(`rejects ${JSON.stringify(text)}`, () => {
      const parsed = parseRegistryPatterns(text);
      assert.ok(!parsed.ok, JSON.stringify(parsed));
      assert.equal(parsed.entry, entry);
      assert.match(parsed.reason, reason);
    });
  }
});

describe('patternMatches', () => {
  const table: Array<[string, string, boolean]> = [
    ['*', '111111111111.dkr.ecr.us-east-1.amazonaws.com', true],
    ['*', '111111111111.dkr.ecr.cn-north-1.amazonaws.com.cn', true],
    ['111111111111.dkr.ecr.*.amazonaws.com', '111111111111.dkr.ecr.eu-west-1.amazonaws.com', true],
    ['111111111111.dkr.ecr.*.amazonaws.com', '222222222222.dkr.ecr.eu-west-1.amazonaws.com', false],
    ['111111111111.dkr.ecr.*.amazonaws.com', '111111111111.dkr.ecr-fips.us-east-1.amazonaws.com', false],
    ['111111111111.dkr.ecr.*.amazonaws.com', '111111111111.dkr.ecr.cn-north-1.amazonaws.com.cn', false],
    ['*.dkr.ecr.eu-west-1.amazonaws.com', '999999999999.dkr.ecr.eu-west-1.amazonaws.com', true],
    ['*.dkr.ecr.eu-west-1.amazonaws.com', '999999999999.dkr.ecr.eu-west-2.amazonaws.com', false],
    ['111111111111.dkr.ecr.us-east-1.amazonaws.com', '111111111111.dkr.ecr.us-east-1.amazonaws.com', true],
    ['111111111111.dkr.ecr.us-east-1.amazonaws.com', '111111111111.dkr.ecr.us-east-2.amazonaws.com', false],
    ['*.dkr.ecr-fips.*.amazonaws.com', '111111111111.dkr.ecr-fips.us-gov-west-1.amazonaws.com', true],
    ['*.dkr.ecr-fips.*.amazonaws.com', '111111111111.dkr.ecr.us-gov-west-1.amazonaws.com', false],
    ['*.dkr.ecr.*.amazonaws.com.cn', '111111111111.dkr.ecr.cn-northwest-1.amazonaws.com.cn', true],
    ['*.dkr.ecr.*.amazonaws.com.cn', '111111111111.dkr.ecr.us-east-1.amazonaws.com', false],
    // ECR Public: matched by * and by its own host only; no private pattern reaches it (its region is us-east-1).
    ['*', 'public.ecr.aws', true],
    ['public.ecr.aws', 'public.ecr.aws', true],
    ['*.dkr.ecr.*.amazonaws.com', 'public.ecr.aws', false],
    ['*.dkr.ecr.us-east-1.amazonaws.com', 'public.ecr.aws', false],
    ['public.ecr.aws', '111111111111.dkr.ecr.us-east-1.amazonaws.com', false],
  ];
  for (const [pattern, host, expected] of table) {
    it(`${pattern} ${expected ? 'matches' : 'does not match'} ${host}`, () => {
      const [only] = patterns(pattern).patterns;
      assert.ok(only);
      assert.equal(patternMatches(only, registry(host)), expected);
    });
  }
  it('none matches nothing', () => assert.deepEqual(patterns('none').patterns, []));
});

describe('namespaceStanding', () => {
  const enabled = { [NAMESPACE_LABEL]: 'enabled' };
  const ROLE = 'arn:aws:iam::111111111111:role/team-a-ecr';

  it('is not-enabled without the label, and for kube-system / kube-public whatever their labels say', () => {
    for (const standing of [
      namespaceStanding({ name: 'team-a' }, OPEN_TENANCY),
      namespaceStanding({ name: 'team-a', labels: { [NAMESPACE_LABEL]: 'disabled' } }, OPEN_TENANCY),
      namespaceStanding({ name: 'kube-system', labels: enabled }, OPEN_TENANCY),
      namespaceStanding({ name: 'kube-public', labels: enabled }, OPEN_TENANCY),
    ]) {
      assert.equal(standing.state, 'not-enabled');
    }
  });

  it('takes the cluster defaults when the Namespace says nothing', () => {
    const defaults: TenancyDefaults = { allowed: patterns('111111111111.dkr.ecr.*.amazonaws.com'), requireRole: false };
    const standing = namespaceStanding({ name: 'team-a', labels: enabled }, defaults);
    assert.deepEqual(standing, { state: 'enabled', policy: { namespace: 'team-a', allowed: defaults.allowed, allowedFrom: 'default', role: undefined } });
  });

  it('reads the allowed registries, the role and its external id from the annotations', () => {
    const standing = namespaceStanding(
      {
        name: 'team-a',
        labels: enabled,
        annotations: { [ALLOWED_REGISTRIES_ANNOTATION]: '*.dkr.ecr.eu-west-1.amazonaws.com', [ROLE_ARN_ANNOTATION]: ` ${ROLE} `, [ROLE_EXTERNAL_ID_ANNOTATION]: 'team-a-1234' },
      },
      { allowed: patterns('none'), requireRole: true },
    );
    assert.equal(standing.state, 'enabled');
    assert.deepEqual(standing.state === 'enabled' ? standing.policy : undefined, {
      namespace: 'team-a',
      allowed: { patterns: patterns('*.dkr.ecr.eu-west-1.amazonaws.com').patterns, text: '*.dkr.ecr.eu-west-1.amazonaws.com' },
      allowedFrom: 'namespace',
      role: { arn: ROLE, externalId: 'team-a-1234', sessionName: 'ecr-anywhere-team-a' },
    });
  });

  it('accepts role ARNs with paths and in other partitions', () => {
    for (const arn of ['arn:aws:iam::111111111111:role/teams/a/ecr-pull', 'arn:aws-cn:iam::111111111111:role/x', 'arn:aws-us-gov:iam::111111111111:role/x']) {
      assert.equal(namespaceStanding({ name: 'a', labels: enabled, annotations: { [ROLE_ARN_ANNOTATION]: arn } }, OPEN_TENANCY).state, 'enabled', arn);
    }
  });

  const malformed: Array<[string, Record<string, string>, string]> = [
    ['a malformed pattern', { [ALLOWED_REGISTRIES_ANNOTATION]: '111111111111.dkr.ecr.us-*.amazonaws.com' }, ALLOWED_REGISTRIES_ANNOTATION],
    ['a blank pattern list', { [ALLOWED_REGISTRIES_ANNOTATION]: ' ' }, ALLOWED_REGISTRIES_ANNOTATION],
    ['a user ARN as role', { [ROLE_ARN_ANNOTATION]: 'arn:aws:iam::111111111111:user/bob' }, ROLE_ARN_ANNOTATION],
    ['a role name instead of an ARN', { [ROLE_ARN_ANNOTATION]: 'team-a-ecr' }, ROLE_ARN_ANNOTATION],
    ['an external id without a role', { [ROLE_EXTERNAL_ID_ANNOTATION]: 'abc123' }, ROLE_EXTERNAL_ID_ANNOTATION],
    ['an external id with spaces', { [ROLE_ARN_ANNOTATION]: ROLE, [ROLE_EXTERNAL_ID_ANNOTATION]: 'has spaces in it' }, ROLE_EXTERNAL_ID_ANNOTATION],
  ];
  for (const [what, annotations, annotation] of malformed) {
    it(`refuses the whole namespace for ${what}, naming the annotation`, () => {
      const standing = namespaceStanding({ name: 'team-a', labels: enabled, annotations }, OPEN_TENANCY);
      assert.equal(standing.state, 'refused');
      const error = standing.state === 'refused' ? standing.error : undefined;
      assert.equal(error?.code, 'ECR_ANYWHERE_NAMESPACE_POLICY_INVALID');
      assert.ok(error?.message.includes(`annotation ${annotation} on Namespace team-a is invalid`), error?.message);
    });
  }

  it('refuses a namespace without a role when one is required (NO_ROLE)', () => {
    const standing = namespaceStanding({ name: 'team-a', labels: enabled }, { allowed: OPEN_TENANCY.allowed, requireRole: true });
    assert.equal(standing.state === 'refused' ? standing.error.code : standing.state, 'ECR_ANYWHERE_NO_ROLE');
  });

  it('trusts the review namespace only through trustedReviewStanding, still under the defaults', () => {
    const standing = trustedReviewStanding({ allowed: patterns('none'), requireRole: false })('anything');
    assert.equal(standing.state === 'enabled' ? standing.policy.allowed.text : standing.state, 'none');
    assert.equal(trustedReviewStanding(OPEN_TENANCY)('kube-system').state, 'not-enabled');
  });
});

describe('sessionNameFor', () => {
  it('is ecr-anywhere-<namespace>, cut to the 64 characters STS allows', () => {
    assert.equal(sessionNameFor('team-a'), 'ecr-anywhere-team-a');
    const long = 'n'.repeat(63);
    assert.equal(sessionNameFor(long).length, 64);
    assert.match(sessionNameFor(long), /^ecr-anywhere-n+$/);
    assert.match(sessionNameFor('weird name/!'), /^[\w+=,.@-]{2,64}$/);
  });
});

describe('disallowedRegistry', () => {
  const policy = (text: string, from: NamespacePolicy['allowedFrom'] = 'namespace'): NamespacePolicy => ({ namespace: 'team-a', allowed: patterns(text), allowedFrom: from, role: undefined });

  it('allows what the patterns match', () => {
    assert.equal(disallowedRegistry(['111111111111.dkr.ecr.eu-west-1.amazonaws.com', '111111111111.dkr.ecr.us-east-1.amazonaws.com'], policy('111111111111.dkr.ecr.*.amazonaws.com')), undefined);
    assert.equal(disallowedRegistry([], policy('none')), undefined);
  });

  it('refuses the first host outside them, naming it, the namespace, the patterns and where they come from', () => {
    const error = disallowedRegistry(['111111111111.dkr.ecr.eu-west-1.amazonaws.com', '222222222222.dkr.ecr.eu-west-1.amazonaws.com'], policy('111111111111.dkr.ecr.*.amazonaws.com'));
    assert.equal(error?.code, 'ECR_ANYWHERE_REGISTRY_NOT_ALLOWED');
    assert.equal(
      error?.message,
      'registry 222222222222.dkr.ecr.eu-west-1.amazonaws.com is not allowed in namespace team-a: its allowed registries are "111111111111.dkr.ecr.*.amazonaws.com" (annotation ecr-anywhere.centml.ai/allowed-registries on the Namespace)',
    );
    assert.match(disallowedRegistry(['111111111111.dkr.ecr.eu-west-1.amazonaws.com'], policy('none', 'default'))?.message ?? '', /"none" \(the cluster default DEFAULT_ALLOWED_REGISTRIES\)/);
  });

  it('allows a host it cannot parse only under *', () => {
    assert.equal(disallowedRegistry(['registry.example'], policy('*')), undefined);
    assert.equal(disallowedRegistry(['registry.example'], policy('*.dkr.ecr.*.amazonaws.com'))?.code, 'ECR_ANYWHERE_REGISTRY_NOT_ALLOWED');
  });
});
