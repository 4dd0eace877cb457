// Carries out a TLS decision: makes the new CA and/or serving certificate and returns the Secret's next contents.
// Key generation is the only impure part (randomness); the shape of the result follows the decision exactly.
import { DAY_MS, formatRfc3339 } from '../../common/time.js';
import { createCertificateAuthority, issueServingCertificate, uniqueCaName, type PemPair } from '../certificates.js';
import { parseCertificate } from '../certificate-inspection.js';
import type { TlsSecretContents } from './secret-contents.js';
import type { TlsDecision, TlsPolicy } from './decision.js';


export function renewTlsContents(
  contents: TlsSecretContents,
  decision: TlsDecision,
  hosts: readonly string[],
  now: Date,
  policy: TlsPolicy,
): TlsSecretContents {
  const ca: PemPair =
    decision.newCa || contents.caCert === undefined || contents.caKey === undefined
      ? createCertificateAuthority({ commonName: uniqueCaName(now), now, validityDays: policy.caValidityMs / DAY_MS })
      : { certPem: contents.caCert, keyPem: contents.caKey };
  let serving: PemPair | undefined = contents.cert !== undefined && contents.key !== undefined ? { certPem: contents.cert, keyPem: contents.key } : undefined;
  if (decision.newLeaf || serving === undefined) {
    // Never past the CA's own end: a certificate outliving its CA would fail verification anyway.
    const caParsed = parseCertificate(ca.certPem, 'CA');
    const caLeftMs = 'problem' in caParsed ? policy.leafValidityMs : caParsed.notAfter.getTime() - now.getTime();
    serving = issueServingCertificate(ca, { hosts, now, validityDays: Math.min(policy.leafValidityMs, caLeftMs) / DAY_MS });
  }
  return {
    caCert: ca.certPem,
    caKey: ca.keyPem,
    cert: serving.certPem,
    key: serving.keyPem,
    ...(decision.previousCa
      ? { previousCaCert: decision.previousCa.certPem, previousCaUntil: formatRfc3339(decision.previousCa.until) }
      : {}),
  };
}
