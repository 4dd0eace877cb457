// The TLS_MODE=self rule as a table: Secret contents × clock → keep / issue leaf / rotate CA / tidy, and the
// caBundle to publish. Certificates are made once at fixed times; only the clock moves.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import {
  createCertificateAuthority,
  issueServingCertificate,
  NOT_BEFORE_BACKDATE_MS,
  type PemPair,
} from '../../src/tls/certificates.js';
import { parseCertificate } from '../../src/tls/certificate-inspection.js';
import { renewTlsContents } from '../../src/tls/self-managed/renew.js';
import type { TlsSecretContents } from '../../src/tls/self-managed/secret-contents.js';
import { caBundleFor, decideTls, normalizeBundle, type TlsAction, type TlsPolicy } from '../../src/tls/self-managed/decision.js';

const DAY = 86_400_000;
const T0 = new Date('2030-01-01T00:00:00Z');
const at = (offsetMs: number): Date => new Date(T0.getTime() + offsetMs);
const HOSTS = ['ecr-anywhere', 'ecr-anywhere.tls', 'ecr-anywhere.tls.svc', 'ecr-anywhere.tls.svc.cluster.local', '127.0.0.1'];
const POLICY: TlsPolicy = { leafValidityMs: 30 * DAY, caValidityMs: 300 * DAY, caPublishGraceMs: 60_000 };

function ca(name: string, now: Date): PemPair {
  return createCertificateAuthority({ commonName: name, now, validityDays: 300 });
}
function leaf(signer: PemPair, now: Date, hosts: readonly string[] = HOSTS): PemPair {
  return issueServingCertificate(signer, { hosts, now, validityDays: 30 });
}
function notAfter(pem: string): Date {
  const parsed = parseCertificate(pem, 'test');
  assert.ok(!('problem' in parsed));
  return parsed.notAfter;
}

describe('decideTls', () => {
  // Made in before(): RSA keys take a moment and only these few are needed.
  let caA: PemPair, leafA: PemPair, leafAFewHosts: PemPair, leafALate: PemPair, caB: PemPair, leafB: PemPair;
  const CA_B_MADE = 201 * DAY; // caA is in its last third (99 days left of 300)
  const CA_B_PUBLISHED = CA_B_MADE; // notBefore + backdate = the moment it was made
  const LEAF_B_MADE = 211 * DAY; // fresh until day 231, after leafALate (day 225) is gone

  before(() => {
    caA = ca('ca-a', T0);
    leafA = leaf(caA, T0);
    leafAFewHosts = leaf(caA, T0, HOSTS.slice(0, 4));
    leafALate = leaf(caA, at(195 * DAY)); // in service when caA's rotation starts
    caB = ca('ca-b', at(CA_B_MADE));
    leafB = leaf(caB, at(LEAF_B_MADE));
  });

  const full = (signer: PemPair, served: PemPair, extra: TlsSecretContents = {}): TlsSecretContents => ({
    caCert: signer.certPem,
    caKey: signer.keyPem,
    cert: served.certPem,
    key: served.keyPem,
    ...extra,
  });

  interface Case {
    label: string;
    contents: () => TlsSecretContents;
    now: number;
    action: TlsAction;
    newLeaf?: boolean;
    reason?: RegExp;
    /** Expected previous CA after the change (its PEM) and until when. */
    previous?: () => { certPem: string; until: Date } | undefined;
    /** Expected caBundle for the contents as they are (before any change). */
    bundle?: () => string[];
  }

  const cases: Case[] = [
    { label: 'an empty Secret', contents: () => ({}), now: 0, action: 'rotate-ca', newLeaf: true, reason: /no CA certificate/, previous: () => undefined },
    {
      label: 'garbage in ca.crt',
      contents: () => ({ caCert: 'not a certificate', caKey: 'nor a key', cert: leafA.certPem, key: leafA.keyPem }),
      now: DAY,
      action: 'rotate-ca',
      newLeaf: true,
      reason: /ca\.crt.*not a PEM certificate|not a PEM certificate/,
      previous: () => undefined,
    },
    {
      label: 'a leaf certificate posing as the CA',
      contents: () => full({ certPem: leafA.certPem, keyPem: leafA.keyPem }, leafA),
      now: DAY,
      action: 'rotate-ca',
      newLeaf: true,
      reason: /not a CA certificate/,
    },
    {
      label: 'a CA key that does not match (the certificate in service stays while the new CA is published)',
      contents: () => full({ certPem: caA.certPem, keyPem: caB.keyPem }, leafA),
      now: DAY,
      action: 'rotate-ca',
      newLeaf: false,
      reason: /ca\.key does not match/,
      previous: () => ({ certPem: caA.certPem, until: notAfter(leafA.certPem) }),
    },
    { label: 'a fresh CA and certificate', contents: () => full(caA, leafA), now: DAY, action: 'keep', bundle: () => [caA.certPem] },
    { label: 'a certificate with 11 of 30 days left', contents: () => full(caA, leafA), now: 19 * DAY, action: 'keep' },
    {
      label: 'a certificate with 9 of 30 days left',
      contents: () => full(caA, leafA),
      now: 21 * DAY,
      action: 'issue-leaf',
      reason: /renewing it in the last third/,
      previous: () => undefined,
    },
    { label: 'an expired certificate', contents: () => full(caA, leafA), now: 31 * DAY, action: 'issue-leaf', reason: /not valid now/ },
    {
      label: 'a serving key that does not match',
      contents: () => full(caA, { certPem: leafA.certPem, keyPem: leafB.keyPem }),
      now: DAY,
      action: 'issue-leaf',
      reason: /tls\.key does not match/,
    },
    { label: 'no serving key', contents: () => ({ caCert: caA.certPem, caKey: caA.keyPem, cert: leafA.certPem }), now: DAY, action: 'issue-leaf', reason: /no serving key/ },
    {
      label: 'a certificate that misses a wanted host',
      contents: () => full(caA, leafAFewHosts),
      now: DAY,
      action: 'issue-leaf',
      reason: /does not cover 127\.0\.0\.1/,
    },
    {
      label: 'a certificate signed by another CA',
      contents: () => full(caB, leafALate),
      now: LEAF_B_MADE + DAY,
      action: 'issue-leaf',
      reason: /not signed by the CA in the Secret/,
      bundle: () => [caB.certPem],
    },
    {
      label: 'a CA in the last third of its life',
      contents: () => full(caA, leafALate),
      now: CA_B_MADE,
      action: 'rotate-ca',
      newLeaf: false,
      reason: /the CA expires at 2030-10-28T00:00:00Z/,
      previous: () => ({ certPem: caA.certPem, until: notAfter(leafALate.certPem) }),
    },
    {
      label: 'a CA with 101 of 300 days left',
      contents: () => full(caA, leafALate),
      now: 199 * DAY,
      action: 'keep',
    },
    {
      label: 'an expired CA (nothing in service to keep)',
      contents: () => full(caA, leafA),
      now: 301 * DAY,
      action: 'rotate-ca',
      newLeaf: true,
      reason: /the CA is not valid now/,
      previous: () => undefined,
    },
    {
      label: 'a new CA published 30 s ago: the old certificate is still served',
      contents: () => full(caB, leafALate, { previousCaCert: caA.certPem, previousCaUntil: '2030-08-14T00:00:00Z' }),
      now: CA_B_PUBLISHED + 30_000,
      action: 'keep',
      bundle: () => [caB.certPem, caA.certPem],
    },
    {
      label: 'a new CA published for longer than the grace: switch the certificate',
      contents: () => full(caB, leafALate, { previousCaCert: caA.certPem, previousCaUntil: '2030-08-14T00:00:00Z' }),
      now: CA_B_PUBLISHED + 61_000,
      action: 'issue-leaf',
      reason: /switching the certificate/,
      previous: () => ({ certPem: caA.certPem, until: notAfter(leafALate.certPem) }),
    },
    {
      label: 'switched, while the old certificate may still be served elsewhere',
      contents: () => full(caB, leafB, { previousCaCert: caA.certPem, previousCaUntil: new Date(notAfter(leafALate.certPem)).toISOString() }),
      now: LEAF_B_MADE + DAY,
      action: 'keep',
      bundle: () => [caB.certPem, caA.certPem],
      previous: () => ({ certPem: caA.certPem, until: notAfter(leafALate.certPem) }),
    },
    {
      label: 'switched, and the old certificate has expired',
      contents: () => full(caB, leafB, { previousCaCert: caA.certPem, previousCaUntil: new Date(notAfter(leafALate.certPem)).toISOString() }),
      now: 226 * DAY,
      action: 'drop-previous-ca',
      bundle: () => [caB.certPem],
      previous: () => undefined,
    },
    {
      label: 'an unreadable retention time (the old CA stays until it expires)',
      contents: () => full(caB, leafB, { previousCaCert: caA.certPem, previousCaUntil: 'soon' }),
      now: 226 * DAY,
      action: 'keep',
      bundle: () => [caB.certPem, caA.certPem],
    },
    {
      label: 'an unreadable previous CA',
      contents: () => full(caB, leafB, { previousCaCert: 'junk', previousCaUntil: '2030-08-14T00:00:00Z' }),
      now: LEAF_B_MADE + DAY,
      action: 'drop-previous-ca',
      bundle: () => [caB.certPem],
    },
  ];

  for (const testCase of cases) {
    it(`${testCase.label} → ${testCase.action}`, () => {
      const contents = testCase.contents();
      const now = at(testCase.now);
      const decision = decideTls(contents, HOSTS, now, POLICY);
      assert.equal(decision.action, testCase.action, decision.reasons.join('; '));
      if (testCase.newLeaf !== undefined) assert.equal(decision.newLeaf, testCase.newLeaf, decision.reasons.join('; '));
      if (testCase.reason) assert.match(decision.reasons.join('; '), testCase.reason);
      if (testCase.action === 'keep') assert.deepEqual(decision.reasons, []);
      assert.ok(!decision.reasons.join(' ').includes('PRIVATE KEY'), 'reasons never carry key material');
      if (testCase.previous) {
        const expected = testCase.previous();
        assert.equal(decision.previousCa?.certPem, expected?.certPem, 'previous CA');
        assert.equal(decision.previousCa?.until.getTime(), expected?.until.getTime(), 'previous CA retention');
      }
      if (testCase.bundle) assert.equal(caBundleFor(contents, now), normalizeBundle(testCase.bundle().join('')));
    });
  }

  it('publishes the new CA for exactly the grace before switching (backdated notBefore accounted for)', () => {
    const contents = full(caB, leafALate, { previousCaCert: caA.certPem, previousCaUntil: '2030-08-14T00:00:00Z' });
    const publishedAt = notAfter(caB.certPem).getTime() - 300 * DAY; // made at CA_B_MADE
    assert.equal(publishedAt, at(CA_B_MADE).getTime());
    assert.ok(NOT_BEFORE_BACKDATE_MS > POLICY.caPublishGraceMs, 'the backdate alone would otherwise switch at once');
    assert.equal(decideTls(contents, HOSTS, new Date(publishedAt + 59_999), POLICY).action, 'keep');
    assert.equal(decideTls(contents, HOSTS, new Date(publishedAt + 60_000), POLICY).action, 'issue-leaf');
  });

  it('has no caBundle without a CA', () => {
    assert.equal(caBundleFor({}, T0), undefined);
    assert.equal(caBundleFor({ caCert: 'junk' }, T0), undefined);
  });
});

describe('renewTlsContents', () => {
  const decideAndRenew = (contents: TlsSecretContents, now: Date, policy = POLICY): TlsSecretContents =>
    renewTlsContents(contents, decideTls(contents, HOSTS, now, policy), HOSTS, now, policy);

  it('fills an empty Secret with contents the rule then keeps', () => {
    const filled = decideAndRenew({}, T0);
    assert.equal(decideTls(filled, HOSTS, T0, POLICY).action, 'keep');
    assert.equal(notAfter(filled.cert ?? '').getTime(), at(30 * DAY).getTime());
    assert.equal(notAfter(filled.caCert ?? '').getTime(), at(300 * DAY).getTime());
    assert.equal(filled.previousCaCert, undefined);
  });

  it('walks a whole CA rotation: stage, switch, tidy — always trusting the CA of every certificate in service', () => {
    // Longer-lived certificates than the table's, so the walk needs few (slow) key generations.
    const policy: TlsPolicy = { ...POLICY, leafValidityMs: 90 * DAY };
    let contents = decideAndRenew({}, T0, policy);
    const served: string[] = [];
    const steps: TlsAction[] = [];
    // Check every 3 days for 400 days, twice (2 minutes apart, beyond the grace) — coarser than the real loop,
    // but every step must keep the caBundle consistent with what may be served.
    for (let day = 0; day <= 400; day += 3) {
      for (const offset of [0, 2 * 60_000]) {
        const now = at(day * DAY + offset);
        const decision = decideTls(contents, HOSTS, now, policy);
        if (decision.action !== 'keep') {
          steps.push(decision.action);
          contents = renewTlsContents(contents, decision, HOSTS, now, policy);
          assert.notEqual(decideTls(contents, HOSTS, now, policy).action, 'rotate-ca', 'a rotation settles in one write');
        }
        // Every certificate served in the last 24 h (other replicas lag) must chain to a CA in the bundle.
        if (served.at(-1) !== contents.cert) served.push(contents.cert ?? '');
        const bundle = caBundleFor(contents, now) ?? '';
        for (const pem of served.slice(-2)) {
          if (notAfter(pem) <= now) continue;
          const trusted = bundle.split(/(?<=-----END CERTIFICATE-----\n)/).some((caPem) => caPem !== '' && verifies(pem, caPem));
          assert.ok(trusted, `day ${day}: a served certificate is not trusted by the caBundle`);
        }
      }
    }
    assert.ok(steps.includes('rotate-ca') && steps.includes('drop-previous-ca'), steps.join(','));
    assert.ok(steps.filter((s) => s === 'issue-leaf').length >= 5, `renewed ~every 60 days: ${steps.join(',')}`);
  });

  it('never issues a certificate past its CA', () => {
    const shortCa = createCertificateAuthority({ commonName: 'short', now: T0, validityDays: 10 });
    const renewed = renewTlsContents(
      { caCert: shortCa.certPem, caKey: shortCa.keyPem },
      { action: 'issue-leaf', reasons: [], newCa: false, newLeaf: true, previousCa: undefined },
      HOSTS,
      T0,
      POLICY,
    );
    assert.equal(notAfter(renewed.cert ?? '').getTime(), notAfter(shortCa.certPem).getTime());
  });
});

function verifies(certPem: string, caPem: string): boolean {
  const cert = parseCertificate(certPem, 'cert');
  const issuer = parseCertificate(caPem, 'ca');
  return !('problem' in cert) && !('problem' in issuer) && cert.x509.checkIssued(issuer.x509) && cert.x509.verify(issuer.x509.publicKey);
}
