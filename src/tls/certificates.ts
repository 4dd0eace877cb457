// A small CA and serving certificates, made with node-forge. Keys come from Node's crypto (fast, native) and are
// handed to forge for the X.509 work. Serial numbers are random (never a fixed `01`).
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import forge from 'node-forge';
import { DAY_MS } from '../common/time.js';

export interface PemPair {
  readonly certPem: string;
  readonly keyPem: string;
}

export interface ServingCertificate extends PemPair {
  /** The CA that signed it: the bundle clients (the API server's caBundle) must trust. */
  readonly caPem: string;
  readonly notAfter: Date;
}

/** notBefore is set this far before `now`, so a client whose clock runs a little behind still accepts the certificate. */
export const NOT_BEFORE_BACKDATE_MS = 5 * 60_000;

function newKeyPair(): { publicKey: forge.pki.PublicKey; privateKey: forge.pki.PrivateKey; keyPem: string } {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const forgeKey = forge.pki.privateKeyFromPem(keyPem);
  return { privateKey: forgeKey, publicKey: forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e), keyPem };
}

function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f; // positive
  return bytes.toString('hex');
}

function baseCertificate(publicKey: forge.pki.PublicKey, commonName: string, now: Date, validityDays: number): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = randomSerial();
  cert.validity.notBefore = new Date(now.getTime() - NOT_BEFORE_BACKDATE_MS);
  cert.validity.notAfter = new Date(now.getTime() + validityDays * DAY_MS);
  cert.setSubject([{ name: 'commonName', value: commonName }]);
  return cert;
}

export function createCertificateAuthority(options: { commonName: string; now: Date; validityDays: number }): PemPair {
  const keys = newKeyPair();
  const cert = baseCertificate(keys.publicKey, options.commonName, options.now, options.validityDays);
  cert.setIssuer(cert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(keys.privateKey as forge.pki.rsa.PrivateKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.keyPem };
}

export function issueServingCertificate(
  ca: PemPair,
  options: { hosts: readonly string[]; now: Date; validityDays: number },
): ServingCertificate {
  const caCert = forge.pki.certificateFromPem(ca.certPem);
  const caKey = forge.pki.privateKeyFromPem(ca.keyPem);
  const keys = newKeyPair();
  const cert = baseCertificate(keys.publicKey, options.hosts[0] ?? 'ecr-anywhere', options.now, options.validityDays);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    // Lets TLS clients pick the right CA when a bundle holds an old and a new one during rotation.
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
    {
      name: 'subjectAltName',
      altNames: options.hosts.map((host) => (isIP(host) ? { type: 7, ip: host } : { type: 2, value: host })),
    },
  ]);
  cert.sign(caKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.keyPem, caPem: ca.certPem, notAfter: cert.validity.notAfter };
}

/**
 * CA names differ per CA, so bundles that hold two during a rotation never confuse them. forge writes names as
 * PrintableString, which has no '@' or '_': Go's x509 (the API server) refuses a certificate that uses them.
 */
export function uniqueCaName(now: Date): string {
  return `ecr-anywhere-ca-${Math.floor(now.getTime() / 1000)}-${randomBytes(3).toString('hex')}`;
}

/** A CA and a serving certificate in one step, for running without any certificate configured. */
export function createSelfSignedServing(options: { hosts: readonly string[]; now: Date; validityDays: number }): ServingCertificate {
  const ca = createCertificateAuthority({ commonName: uniqueCaName(options.now), now: options.now, validityDays: options.validityDays });
  return issueServingCertificate(ca, options);
}
