import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { carriesAllowedName, namesOf, parseClientCaBundle } from '../../src/tls/client-auth.js';
import { createSelfSignedServing } from '../../src/tls/certificates.js';
import { testClientCa } from '../../harness/client-certificates.js';

describe('parseClientCaBundle', () => {
  const first = testClientCa('ca-one');
  const second = testClientCa('ca-two');

  it('keeps every CA certificate of a bundle, dropping text around them', () => {
    const parsed = parseClientCaBundle(`# comment\n${first.certPem}\nnoise\n${second.certPem}`);
    assert.ok('bundle' in parsed);
    assert.equal(parsed.count, 2);
    assert.ok(!parsed.bundle.includes('noise'));
  });

  it('refuses an empty text, a broken block and a leaf certificate', () => {
    assert.deepEqual(parseClientCaBundle(''), { problem: 'holds no PEM certificate' });
    const broken = parseClientCaBundle('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
    assert.ok('problem' in broken && /certificate 1 is not a valid X.509/.test(broken.problem));
    const leaf = createSelfSignedServing({ hosts: ['localhost'], now: new Date(), validityDays: 1 });
    const withLeaf = parseClientCaBundle(first.certPem + leaf.certPem);
    assert.ok('problem' in withLeaf && /certificate 2 .* is not a CA certificate/.test(withLeaf.problem), JSON.stringify(withLeaf));
  });
});

describe('carriesAllowedName', () => {
  const peer = { subject: { CN: 'kube-apiserver' }, subjectaltname: 'DNS:webhook.ecr-system.svc, IP Address:127.0.0.1, DNS:Other.Example' } as never;

  it('reads the subject CN and the DNS SANs, not IP SANs', () => {
    assert.deepEqual(namesOf(peer), ['kube-apiserver', 'webhook.ecr-system.svc', 'Other.Example']);
    assert.deepEqual(namesOf({ subject: { CN: ['a', 'b'] } }), ['a', 'b']);
    assert.deepEqual(namesOf({} as never), []);
  });

  it('accepts any certificate when no names are configured, else needs an exact (case-insensitive) name', () => {
    assert.equal(carriesAllowedName(peer, []), true);
    assert.equal(carriesAllowedName(peer, ['kube-apiserver']), true);
    assert.equal(carriesAllowedName(peer, ['other.example']), true);
    assert.equal(carriesAllowedName(peer, ['127.0.0.1']), false);
    assert.equal(carriesAllowedName(peer, ['kube-apiserver.evil', 'apiserver']), false);
    assert.equal(carriesAllowedName({} as never, ['kube-apiserver']), false);
  });
});
