// What the API server's Go x509 parser demands of the certificates TLS_MODE=self makes. Node's parser is more
// lenient, so these are checked on the encoding itself (a CA named with '@' was accepted by Node, refused by Go).
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { describe, it } from 'node:test';
import forge from 'node-forge';
import { createCertificateAuthority, issueServingCertificate, uniqueCaName } from '../../src/tls/certificates.js';

const PRINTABLE_STRING = /^[A-Za-z0-9 '()+,\-./:=?]*$/;

function printableProblems(pem: string): string[] {
  const certificate = forge.pki.certificateFromPem(pem);
  return [...certificate.subject.attributes, ...certificate.issuer.attributes]
    .filter((attribute) => (attribute.valueTagClass as unknown) === forge.asn1.Type.PRINTABLESTRING && !PRINTABLE_STRING.test(String(attribute.value)))
    .map((attribute) => `${attribute.name ?? attribute.type}=${String(attribute.value)}`);
}

describe('certificates made for TLS_MODE=self', () => {
  const now = new Date();
  const ca = createCertificateAuthority({ commonName: uniqueCaName(now), now, validityDays: 10 });
  const leaf = issueServingCertificate(ca, { hosts: ['ecr-anywhere.ns.svc', '127.0.0.1'], now, validityDays: 1 });

  it('names the CA and the certificate with PrintableString characters only', () => {
    assert.deepEqual(printableProblems(ca.certPem), []);
    assert.deepEqual(printableProblems(leaf.certPem), []);
  });

  it('gives each CA its own name', () => {
    assert.notEqual(uniqueCaName(now), uniqueCaName(now));
  });

  it('makes a CA certificate and a serving certificate for the DNS names and IP addresses asked for', () => {
    const caX509 = new X509Certificate(ca.certPem);
    const leafX509 = new X509Certificate(leaf.certPem);
    assert.equal(caX509.ca, true);
    assert.equal(leafX509.ca, false);
    assert.ok(leafX509.checkIssued(caX509) && leafX509.verify(caX509.publicKey));
    assert.equal(leafX509.subjectAltName, 'DNS:ecr-anywhere.ns.svc, IP Address:127.0.0.1');
    assert.deepEqual(leafX509.keyUsage, ['1.3.6.1.5.5.7.3.1']);
  });
});
