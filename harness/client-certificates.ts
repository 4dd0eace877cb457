// Client certificates for tests: a CA of their own (the webhook's CLIENT_CA_FILE, or the harness cluster's CA for
// kubeconfigs) and certificates it signs, with a subject CN, optional O= groups and DNS SANs.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import forge from 'node-forge';
import { createCertificateAuthority, type PemPair } from '../src/tls/certificates.js';

export function testClientCa(commonName: string): PemPair {
  return createCertificateAuthority({ commonName, now: new Date(), validityDays: 2 });
}

export function issueClientCertificate(
  ca: PemPair,
  options: { readonly commonName: string; readonly groups?: readonly string[]; readonly dnsNames?: readonly string[] },
): PemPair {
  const caCert = forge.pki.certificateFromPem(ca.certPem);
  const caKey = forge.pki.privateKeyFromPem(ca.keyPem);
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const forgeKey = forge.pki.privateKeyFromPem(keyPem);
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e);
  cert.serialNumber = `01${randomBytes(8).toString('hex')}`;
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 86_400_000);
  cert.setSubject([{ name: 'commonName', value: options.commonName }, ...(options.groups ?? []).map((group) => ({ name: 'organizationName', value: group }))]);
  cert.setIssuer(caCert.subject.attributes);
  const dnsNames = options.dnsNames ?? [];
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', clientAuth: true },
    ...(dnsNames.length > 0 ? [{ name: 'subjectAltName', altNames: dnsNames.map((value) => ({ type: 2, value })) }] : []),
  ]);
  cert.sign(caKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem };
}
