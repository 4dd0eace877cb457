import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ECR_PUBLIC_REGISTRY, hostOfProxyEndpoint, parseRegistryEntry, parseRegistryHost, parseRegistryList } from '../../src/ecr/registry-host.js';

describe('parseRegistryHost', () => {
  const valid: Array<[string, { accountId: string; region: string; fips: boolean; host: string; ecrPublic: false; tokenScope: string }]> = [
    ['123456789012.dkr.ecr.us-east-1.amazonaws.com', { accountId: '123456789012', region: 'us-east-1', fips: false, host: '123456789012.dkr.ecr.us-east-1.amazonaws.com', ecrPublic: false, tokenScope: 'us-east-1' }],
    ['123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com', { accountId: '123456789012', region: 'us-gov-west-1', fips: true, host: '123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com', ecrPublic: false, tokenScope: 'us-gov-west-1' }],
    ['210987654321.dkr.ecr.cn-north-1.amazonaws.com.cn', { accountId: '210987654321', region: 'cn-north-1', fips: false, host: '210987654321.dkr.ecr.cn-north-1.amazonaws.com.cn', ecrPublic: false, tokenScope: 'cn-north-1' }],
    ['  123456789012.DKR.ECR.EU-CENTRAL-2.amazonaws.com ', { accountId: '123456789012', region: 'eu-central-2', fips: false, host: '123456789012.dkr.ecr.eu-central-2.amazonaws.com', ecrPublic: false, tokenScope: 'eu-central-2' }],
  ];
  for (const [entry, expected] of valid) {
    it(`accepts ${entry.trim()}`, () => assert.deepEqual(parseRegistryHost(entry), expected));
  }

  const invalid: Array<[string, RegExp]> = [
    ['12345678901.dkr.ecr.us-east-1.amazonaws.com', /12-digit/],
    ['123456789012.dkr.ecr.us-east-1.amazonaws.org', /12-digit/],
    ['https://123456789012.dkr.ecr.us-east-1.amazonaws.com', /without scheme/],
    ['123456789012.dkr.ecr.us-east-1.amazonaws.com/repo', /without scheme/],
    ['123456789012.dkr.ecr.cn-north-1.amazonaws.com', /China regions use/],
    ['123456789012.dkr.ecr.us-east-1.amazonaws.com.cn', /only China regions/],
    ['docker.io', /12-digit/],
    ['123456789012.dkr.ecr..amazonaws.com', /12-digit/],
    ['123456789012.dkr.ecr.xx-fake-9.amazonaws.com', /"xx-fake-9" is not a region of any AWS partition/],
    // Matches the aws partition's regionRegex, but no partition lists it: still refused (a bounded set of regions).
    ['123456789012.dkr.ecr.us-fake-9.amazonaws.com', /"us-fake-9" is not a region/],
    ['123456789012.dkr.ecr.us-iso-east-1.amazonaws.com', /aws-iso partition, whose hosts end in c2s.ic.gov/],
  ];
  for (const [entry, reason] of invalid) {
    it(`rejects ${entry}`, () => {
      const result = parseRegistryHost(entry);
      assert.ok('reason' in result && reason.test(result.reason), JSON.stringify(result));
    });
  }
});

describe('parseRegistryEntry (the registries annotation)', () => {
  for (const entry of ['public.ecr.aws', ' PUBLIC.ECR.AWS ']) {
    it(`takes ${JSON.stringify(entry)} as ECR Public, whose token has a scope of its own`, () => {
      assert.deepEqual(parseRegistryEntry(entry), { host: 'public.ecr.aws', accountId: '', region: 'us-east-1', fips: false, ecrPublic: true, tokenScope: 'public.ecr.aws' });
    });
  }

  it('still parses private hosts, keyed by their region', () => {
    assert.deepEqual(parseRegistryEntry('123456789012.dkr.ecr.eu-west-1.amazonaws.com'), parseRegistryHost('123456789012.dkr.ecr.eu-west-1.amazonaws.com'));
  });

  it('names public.ecr.aws among what it expected, but not after a scheme or path problem', () => {
    const unknown = parseRegistryEntry('quay.io');
    assert.ok('reason' in unknown && /or public\.ecr\.aws for ECR Public$/.test(unknown.reason), JSON.stringify(unknown));
    const withPath = parseRegistryEntry('public.ecr.aws/team');
    assert.ok('reason' in withPath && /^give the registry host only, without scheme or path$/.test(withPath.reason), JSON.stringify(withPath));
  });

  it('parseRegistryHost (mirror targets, tenancy patterns) still refuses ECR Public: nothing is pushed there', () => {
    assert.ok('reason' in parseRegistryHost('public.ecr.aws'));
  });
});

describe('parseRegistryList', () => {
  it('mixes ECR Public with private registries', () => {
    const parsed = parseRegistryList('123456789012.dkr.ecr.us-east-1.amazonaws.com, public.ecr.aws');
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.registries.map((registry) => registry.tokenScope), ['us-east-1', 'public.ecr.aws']);
    assert.equal(parsed.registries[1], ECR_PUBLIC_REGISTRY);
  });

  it('treats an absent or blank annotation as the default registry (empty list)', () => {
    assert.deepEqual(parseRegistryList(undefined), { ok: true, registries: [] });
    assert.deepEqual(parseRegistryList('  '), { ok: true, registries: [] });
  });

  it('splits on commas, trims, ignores empty items and collapses duplicates', () => {
    const result = parseRegistryList(
      '123456789012.dkr.ecr.us-east-1.amazonaws.com, 210987654321.dkr.ecr.eu-west-1.amazonaws.com,,123456789012.dkr.ecr.us-east-1.amazonaws.com,',
    );
    assert.ok(result.ok);
    assert.deepEqual(
      result.registries.map((r) => r.host),
      ['123456789012.dkr.ecr.us-east-1.amazonaws.com', '210987654321.dkr.ecr.eu-west-1.amazonaws.com'],
    );
  });

  it('names the first malformed entry', () => {
    const result = parseRegistryList('123456789012.dkr.ecr.us-east-1.amazonaws.com, ghcr.io ,quay.io');
    assert.equal(result.ok, false);
    assert.equal(!result.ok && result.entry, 'ghcr.io');
  });
});

describe('hostOfProxyEndpoint', () => {
  it('takes the host of the proxy endpoint URL', () => {
    assert.equal(hostOfProxyEndpoint('https://123456789012.dkr.ecr.us-east-1.amazonaws.com'), '123456789012.dkr.ecr.us-east-1.amazonaws.com');
    assert.equal(hostOfProxyEndpoint('123456789012.dkr.ecr.us-east-1.amazonaws.com'), '123456789012.dkr.ecr.us-east-1.amazonaws.com');
  });
});
