// Facts about PEM certificates and keys, read with Node's X.509 support: parsing, key match, signer, names
// covered, validity, and a fingerprint of a pair. No I/O and no clock of its own — callers pass `now`.
import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import type { PemPair } from './certificates.js';

export interface InspectedCertificate {
  readonly x509: X509Certificate;
  readonly pem: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

/** The first certificate of a PEM text, or a reason it cannot be used. */
export function parseCertificate(pem: string | undefined, what: string): InspectedCertificate | { problem: string } {
  if (pem === undefined) return { problem: `no ${what}` };
  try {
    const x509 = new X509Certificate(pem);
    return { x509, pem, notBefore: new Date(x509.validFrom), notAfter: new Date(x509.validTo) };
  } catch {
    return { problem: `${what} is not a PEM certificate` };
  }
}

/** True when the private key (PEM) is the certificate's own; false for a missing, unreadable or other key. */
export function keyMatches(certificate: InspectedCertificate, keyPem: string | undefined): boolean {
  if (keyPem === undefined) return false;
  try {
    return certificate.x509.checkPrivateKey(createPrivateKey(keyPem));
  } catch {
    return false;
  }
}

/** True when `issuer` signed `certificate` (names match and the signature verifies). */
export function signedBy(certificate: InspectedCertificate, issuer: InspectedCertificate): boolean {
  try {
    return certificate.x509.checkIssued(issuer.x509) && certificate.x509.verify(issuer.x509.publicKey);
  } catch {
    return false;
  }
}

/** The hosts (DNS names or IP addresses) that the certificate's subjectAltName does not cover. */
export function uncoveredHosts(certificate: InspectedCertificate, hosts: readonly string[]): string[] {
  return hosts.filter((host) =>
    isIP(host) === 0 ? certificate.x509.checkHost(host, { subject: 'never' }) === undefined : certificate.x509.checkIP(host) === undefined,
  );
}

export function isValidAt(certificate: InspectedCertificate, now: Date): boolean {
  return now >= certificate.notBefore && now < certificate.notAfter;
}

/** A digest of a certificate and key pair: equal exactly when both texts are, so a reload can tell "unchanged". */
export function fingerprint(pair: PemPair): string {
  return createHash('sha256').update(pair.certPem).update('\0').update(pair.keyPem).digest('hex');
}
