// The pure rule of TLS_MODE=self: given what the Secret holds, the names to cover and the time, decide whether to
// keep it, issue a new serving certificate, rotate the CA or tidy up after a rotation — and which CAs the
// webhook configuration's caBundle must trust. Every replica applies the same rule to the same Secret, so they
// agree without talking to each other.
//
// Rotation, in the order the API server sees it:
//   1. The CA enters the last third of its life: a new CA is written; the serving certificate in use stays, and
//      its signer (the old CA) is kept as `ca-previous.crt` until that certificate expires. caBundle = new + old.
//   2. Once the new CA has been published for `caPublishGraceMs`, a certificate from the new CA replaces it. The
//      old CA stays trusted until `ca-previous.until`, for replicas that still serve the old certificate.
//   3. After that time the old CA leaves the Secret and the caBundle.
import { formatRfc3339, parseRfc3339 } from '../../common/time.js';
import { NOT_BEFORE_BACKDATE_MS } from '../certificates.js';
import {
  isValidAt,
  keyMatches,
  parseCertificate,
  signedBy,
  uncoveredHosts,
  type InspectedCertificate,
} from '../certificate-inspection.js';
import type { TlsSecretContents } from './secret-contents.js';

export interface TlsPolicy {
  readonly leafValidityMs: number;
  readonly caValidityMs: number;
  /** How long a new CA sits in the caBundle before certificates it signed are served. */
  readonly caPublishGraceMs: number;
}

/** A certificate (or CA) is renewed once less than this share of its configured lifetime is left. */
export const RENEW_WHEN_LEFT = 1 / 3;

export type TlsAction = 'keep' | 'issue-leaf' | 'rotate-ca' | 'drop-previous-ca';

export interface TlsDecision {
  readonly action: TlsAction;
  /** Why, for logs: names and times only, never key material. */
  readonly reasons: readonly string[];
  readonly newCa: boolean;
  readonly newLeaf: boolean;
  /** The previous CA the Secret must hold after the change, or undefined for none. */
  readonly previousCa: { readonly certPem: string; readonly until: Date } | undefined;
}

interface PreviousCa {
  readonly certificate: InspectedCertificate;
  readonly until: Date;
}

interface Inspection {
  readonly ca: InspectedCertificate | undefined;
  /** Why the CA cannot sign (undefined when it can). */
  readonly caProblem: string | undefined;
  readonly leaf: InspectedCertificate | undefined;
  readonly leafProblem: string | undefined;
  readonly previous: PreviousCa | undefined;
  /** Which CA signed the leaf, if it is one of ours. */
  readonly leafSigner: 'current' | 'previous' | undefined;
}

function inspect(contents: TlsSecretContents, now: Date): Inspection {
  const caParsed = parseCertificate(contents.caCert, 'CA certificate (ca.crt)');
  const ca = 'problem' in caParsed ? undefined : caParsed;
  let caProblem: string | undefined = 'problem' in caParsed ? caParsed.problem : undefined;
  if (ca && !ca.x509.ca) caProblem = 'ca.crt is not a CA certificate';
  else if (ca && !keyMatches(ca, contents.caKey)) caProblem = contents.caKey === undefined ? 'no CA key (ca.key)' : 'ca.key does not match ca.crt';
  else if (ca && !isValidAt(ca, now)) caProblem = `the CA is not valid now (valid ${formatRfc3339(ca.notBefore)} to ${formatRfc3339(ca.notAfter)})`;

  const previousParsed = parseCertificate(contents.previousCaCert, 'previous CA');
  const previous: PreviousCa | undefined =
    'problem' in previousParsed
      ? undefined
      : // An unreadable time keeps the old CA until it expires: trusting it longer is safe, dropping it early is not.
        { certificate: previousParsed, until: parseRfc3339(contents.previousCaUntil) ?? previousParsed.notAfter };

  const leafParsed = parseCertificate(contents.cert, 'serving certificate (tls.crt)');
  const leaf = 'problem' in leafParsed ? undefined : leafParsed;
  let leafProblem: string | undefined = 'problem' in leafParsed ? leafParsed.problem : undefined;
  if (leaf && !keyMatches(leaf, contents.key)) leafProblem = contents.key === undefined ? 'no serving key (tls.key)' : 'tls.key does not match tls.crt';
  else if (leaf && !isValidAt(leaf, now)) leafProblem = `the serving certificate is not valid now (valid ${formatRfc3339(leaf.notBefore)} to ${formatRfc3339(leaf.notAfter)})`;

  let leafSigner: Inspection['leafSigner'];
  if (leaf && ca && signedBy(leaf, ca)) leafSigner = 'current';
  else if (leaf && previous && signedBy(leaf, previous.certificate)) leafSigner = 'previous';
  if (leaf && leafProblem === undefined && leafSigner === undefined) leafProblem = 'the serving certificate was not signed by the CA in the Secret';
  return { ca, caProblem, leaf, leafProblem, previous, leafSigner };
}

/** The leaf as it is served now, when it is usable: its signer must stay trusted until it expires. */
function leafInService(state: Inspection, now: Date): { signer: InspectedCertificate; leaf: InspectedCertificate } | undefined {
  if (!state.leaf || state.leafProblem !== undefined) return undefined;
  const signer = state.leafSigner === 'current' ? state.ca : state.leafSigner === 'previous' ? state.previous?.certificate : undefined;
  return signer && isValidAt(signer, now) ? { signer, leaf: state.leaf } : undefined;
}

function previousStillNeeded(state: Inspection, now: Date): boolean {
  return state.previous !== undefined && (state.leafSigner === 'previous' || (now < state.previous.until && isValidAt(state.previous.certificate, now)));
}

function remaining(certificate: InspectedCertificate, now: Date): number {
  return certificate.notAfter.getTime() - now.getTime();
}

export function decideTls(contents: TlsSecretContents, hosts: readonly string[], now: Date, policy: TlsPolicy): TlsDecision {
  const state = inspect(contents, now);
  const inService = leafInService(state, now);
  const missingHosts = state.leaf ? uncoveredHosts(state.leaf, hosts) : [];

  // 1. The CA: unusable, or in the last third of its life → a new one.
  let caReason = state.caProblem;
  if (caReason === undefined && state.ca && remaining(state.ca, now) < policy.caValidityMs * RENEW_WHEN_LEFT) {
    caReason = `the CA expires at ${formatRfc3339(state.ca.notAfter)}: renewing it in the last third of its life`;
  }
  if (caReason !== undefined) {
    // Keep serving the current certificate while the new CA reaches the API server, if it can last that long.
    const stage = inService !== undefined && missingHosts.length === 0 && remaining(inService.leaf, now) > policy.caPublishGraceMs;
    const reasons = [caReason];
    if (!stage) reasons.push(state.leafProblem ?? (missingHosts.length > 0 ? `the certificate does not cover ${missingHosts.join(', ')}` : 'the certificate would expire during the rotation'));
    return {
      action: 'rotate-ca',
      reasons,
      newCa: true,
      newLeaf: !stage,
      previousCa: inService ? { certPem: inService.signer.pem, until: inService.leaf.notAfter } : undefined,
    };
  }
  const ca = state.ca as InspectedCertificate; // no caReason ⇒ the CA parsed

  // 2. The serving certificate.
  const keepPrevious = previousStillNeeded(state, now) && state.previous ? { certPem: state.previous.certificate.pem, until: state.previous.until } : undefined;
  let leafReason: string | undefined;
  if (state.leafProblem !== undefined) leafReason = state.leafProblem;
  else if (missingHosts.length > 0) leafReason = `the certificate does not cover ${missingHosts.join(', ')}`;
  else if (state.leafSigner === 'previous') {
    const publishedAt = ca.notBefore.getTime() + NOT_BEFORE_BACKDATE_MS;
    if (now.getTime() >= publishedAt + policy.caPublishGraceMs) leafReason = 'the new CA has been published: switching the certificate to it';
  } else if (state.leaf && remaining(state.leaf, now) < policy.leafValidityMs * RENEW_WHEN_LEFT) {
    leafReason = `the certificate expires at ${formatRfc3339(state.leaf.notAfter)}: renewing it in the last third of its life`;
  }
  if (leafReason !== undefined) {
    // A certificate of the previous CA that some replica may still serve keeps that CA trusted until it expires.
    const previousCa =
      inService && state.leafSigner === 'previous'
        ? { certPem: inService.signer.pem, until: new Date(Math.max(inService.leaf.notAfter.getTime(), keepPrevious?.until.getTime() ?? 0)) }
        : keepPrevious;
    return { action: 'issue-leaf', reasons: [leafReason], newCa: false, newLeaf: true, previousCa };
  }

  // 3. Tidy up: the previous CA (or an unreadable leftover) is no longer needed.
  const hasPreviousKeys = contents.previousCaCert !== undefined || contents.previousCaUntil !== undefined;
  if (hasPreviousKeys && keepPrevious === undefined) {
    return { action: 'drop-previous-ca', reasons: ['the previous CA is no longer needed'], newCa: false, newLeaf: false, previousCa: undefined };
  }
  return { action: 'keep', reasons: [], newCa: false, newLeaf: false, previousCa: keepPrevious };
}

/** The PEM bundle the webhook configuration must trust for these contents: the CA, plus the previous one while needed. */
export function caBundleFor(contents: TlsSecretContents, now: Date): string | undefined {
  const state = inspect(contents, now);
  if (!state.ca) return undefined;
  const pems = [state.ca.pem];
  if (state.previous && previousStillNeeded(state, now)) pems.push(state.previous.certificate.pem);
  return normalizeBundle(pems.join('\n'));
}

/** One PEM block per certificate, each ending in a newline: bundles compare equal however they were written. */
export function normalizeBundle(bundle: string): string {
  const blocks = bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((block) => `${block.trim()}\n`).join('');
}
