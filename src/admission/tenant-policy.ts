// Pure: what a namespace's admin-owned annotations allow — which registries its Secrets may name and which IAM role
// serves them — and whether a review's namespace may obtain credentials at all. Cluster defaults fill in what a
// namespace does not say. No I/O: the namespace watch feeds Namespace metadata in, the handler asks.
import { EcrAnywhereError, ErrorCodes } from '../common/errors.js';
import {
  ALLOWED_REGISTRIES_ANNOTATION,
  ECR_PUBLIC_HOST,
  NAMESPACE_LABEL,
  NAMESPACE_LABEL_VALUE,
  PROTECTED_NAMESPACES,
  ROLE_ARN_ANNOTATION,
  ROLE_EXTERNAL_ID_ANNOTATION,
} from '../common/names.js';
import { parseRegistryEntry, type EcrRegistry } from '../ecr/registry-host.js';
import type { AssumableRole } from '../ecr/role-credentials.js';

/**
 * One allowed-registries entry: `*` alone (any ECR registry, ECR Public included), `public.ecr.aws`, or a private
 * host whose account and/or region may be `*`.
 */
export type RegistryPattern =
  | { readonly any: true }
  | { readonly any: false; readonly ecrPublic: true }
  | {
      readonly any: false;
      readonly ecrPublic: false;
      readonly account: string | undefined;
      readonly region: string | undefined;
      readonly fips: boolean;
      readonly china: boolean;
    };

export interface RegistryPatterns {
  readonly patterns: readonly RegistryPattern[];
  /** The patterns as written, for messages. */
  readonly text: string;
}

export type PatternsResult = ({ readonly ok: true } & RegistryPatterns) | { readonly ok: false; readonly entry: string; readonly reason: string };

/** `none`: no registry at all (a locked-down default). */
export const NO_REGISTRIES_KEYWORD = 'none';

const PATTERN = /^(\d{12}|\*)\.dkr\.(ecr|ecr-fips)\.([a-z]{2}(?:-[a-z]+)+-\d+|\*)\.amazonaws\.com(\.cn)?$/;

function parsePattern(entry: string): RegistryPattern | { readonly reason: string } {
  if (entry === '*') return { any: true };
  if (entry === ECR_PUBLIC_HOST) return { any: false, ecrPublic: true };
  if (entry.includes('://') || entry.includes('/')) return { reason: 'give a registry host pattern only, without scheme or path' };
  const match = PATTERN.exec(entry);
  if (!match) {
    return {
      reason:
        'expected <12-digit account or *>.dkr.ecr.<region or *>.amazonaws.com (or .amazonaws.com.cn, or dkr.ecr-fips), ' +
        `or ${ECR_PUBLIC_HOST}, or * alone; * stands for the whole account or the whole region, nothing else`,
    };
  }
  const [, account = '', service, region = '', chinaSuffix] = match;
  const china = chinaSuffix !== undefined;
  if (region !== '*' && region.startsWith('cn-') !== china) {
    return { reason: china ? 'only China regions use .amazonaws.com.cn' : 'China regions use the .amazonaws.com.cn suffix' };
  }
  return { any: false, ecrPublic: false, account: account === '*' ? undefined : account, region: region === '*' ? undefined : region, fips: service === 'ecr-fips', china };
}

/** Parses a comma-separated pattern list; `none` alone allows nothing. A blank list is an error (say `none`). */
export function parseRegistryPatterns(text: string): PatternsResult {
  const trimmed = text.trim();
  if (trimmed === '') return { ok: false, entry: '', reason: `the list is empty: give patterns, * for any registry, or ${NO_REGISTRIES_KEYWORD}` };
  if (trimmed.toLowerCase() === NO_REGISTRIES_KEYWORD) return { ok: true, patterns: [], text: NO_REGISTRIES_KEYWORD };
  const patterns: RegistryPattern[] = [];
  const entries: string[] = [];
  for (const raw of trimmed.split(',')) {
    const entry = raw.trim().toLowerCase();
    if (entry === '') continue;
    const parsed = parsePattern(entry);
    if ('reason' in parsed) return { ok: false, entry, reason: parsed.reason };
    patterns.push(parsed);
    entries.push(entry);
  }
  return { ok: true, patterns, text: entries.join(',') };
}

export function patternMatches(pattern: RegistryPattern, registry: EcrRegistry): boolean {
  if (pattern.any) return true;
  if (pattern.ecrPublic || registry.ecrPublic) return pattern.ecrPublic && registry.ecrPublic;
  const china = registry.host.endsWith('.amazonaws.com.cn');
  return (
    (pattern.account === undefined || pattern.account === registry.accountId) &&
    (pattern.region === undefined || pattern.region === registry.region) &&
    pattern.fips === registry.fips &&
    pattern.china === china
  );
}

export interface NamespacePolicy {
  readonly namespace: string;
  readonly allowed: RegistryPatterns;
  /** Where the patterns come from, for messages. */
  readonly allowedFrom: 'namespace' | 'default';
  /** undefined: the webhook's own identity serves the namespace. */
  readonly role: AssumableRole | undefined;
}

/** The cluster-wide defaults for namespaces without annotations (DEFAULT_ALLOWED_REGISTRIES, REQUIRE_NAMESPACE_ROLE). */
export interface TenancyDefaults {
  readonly allowed: RegistryPatterns;
  readonly requireRole: boolean;
}

/** Today's behaviour: any registry, the webhook's own identity. */
export const OPEN_TENANCY: TenancyDefaults = { allowed: { patterns: [{ any: true }], text: '*' }, requireRole: false };

/**
 * What the webhook knows of a namespace: enabled with its policy; enabled but its policy refuses everything (a
 * malformed annotation, or no role where one is required); not enabled or protected (allowed, no patch); or not
 * known to the namespace watch (yet).
 */
export type NamespaceStanding =
  | { readonly state: 'enabled'; readonly policy: NamespacePolicy }
  | { readonly state: 'refused'; readonly error: EcrAnywhereError }
  | { readonly state: 'not-enabled'; readonly reason: string }
  | { readonly state: 'unknown' };

export interface NamespaceMetadata {
  readonly name: string;
  readonly labels?: Readonly<Record<string, string>> | undefined;
  readonly annotations?: Readonly<Record<string, string>> | undefined;
}

const ROLE_ARN = /^arn:aws(?:-cn|-us-gov|-iso(?:-[a-z])?)?:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
const EXTERNAL_ID = /^[\w+=,.@:/-]{2,1224}$/;
const SESSION_NAME_LIMIT = 64;

/** STS role session names: 2-64 characters of [\w+=,.@-]. */
export function sessionNameFor(namespace: string): string {
  return `ecr-anywhere-${namespace}`.replace(/[^\w+=,.@-]/g, '-').slice(0, SESSION_NAME_LIMIT);
}

function invalidAnnotation(namespace: string, annotation: string, value: string, reason: string): NamespaceStanding {
  const shown = JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
  return {
    state: 'refused',
    error: new EcrAnywhereError(
      ErrorCodes.NAMESPACE_POLICY_INVALID,
      `annotation ${annotation} on Namespace ${namespace} is invalid (${shown}): ${reason}; no credentials are issued in this namespace until a cluster admin fixes it`,
    ),
  };
}

/** Reads a Namespace's label and annotations into its standing; a malformed annotation refuses the whole namespace. */
export function namespaceStanding(namespace: NamespaceMetadata, defaults: TenancyDefaults): NamespaceStanding {
  const name = namespace.name;
  if (PROTECTED_NAMESPACES.has(name)) return { state: 'not-enabled', reason: `namespace ${name} is never mutated` };
  if (namespace.labels?.[NAMESPACE_LABEL] !== NAMESPACE_LABEL_VALUE) {
    return { state: 'not-enabled', reason: `namespace ${name} is not labeled ${NAMESPACE_LABEL}=${NAMESPACE_LABEL_VALUE}` };
  }
  const annotations = namespace.annotations ?? {};

  let allowed = defaults.allowed;
  let allowedFrom: NamespacePolicy['allowedFrom'] = 'default';
  const patternsText = annotations[ALLOWED_REGISTRIES_ANNOTATION];
  if (patternsText !== undefined) {
    const parsed = parseRegistryPatterns(patternsText);
    if (!parsed.ok) return invalidAnnotation(name, ALLOWED_REGISTRIES_ANNOTATION, patternsText, parsed.entry === '' ? parsed.reason : `entry "${parsed.entry}": ${parsed.reason}`);
    allowed = { patterns: parsed.patterns, text: parsed.text };
    allowedFrom = 'namespace';
  }

  const arn = annotations[ROLE_ARN_ANNOTATION]?.trim();
  const externalId = annotations[ROLE_EXTERNAL_ID_ANNOTATION]?.trim();
  if (arn !== undefined && !ROLE_ARN.test(arn)) {
    return invalidAnnotation(name, ROLE_ARN_ANNOTATION, arn, 'expected an IAM role ARN such as arn:aws:iam::111111111111:role/team-a-ecr');
  }
  if (externalId !== undefined && arn === undefined) {
    return invalidAnnotation(name, ROLE_EXTERNAL_ID_ANNOTATION, externalId, `an external id needs a role: set ${ROLE_ARN_ANNOTATION} too`);
  }
  if (externalId !== undefined && !EXTERNAL_ID.test(externalId)) {
    return invalidAnnotation(name, ROLE_EXTERNAL_ID_ANNOTATION, externalId, 'STS external ids are 2-1224 characters of letters, digits and +=,.@:/-');
  }
  if (arn === undefined && defaults.requireRole) {
    return {
      state: 'refused',
      error: new EcrAnywhereError(
        ErrorCodes.NO_ROLE,
        `Namespace ${name} has no ${ROLE_ARN_ANNOTATION} annotation and this cluster requires one (REQUIRE_NAMESPACE_ROLE): ` +
          'a cluster admin must give the namespace its own IAM role',
      ),
    };
  }
  const role = arn === undefined ? undefined : { arn, externalId, sessionName: sessionNameFor(name) };
  return { state: 'enabled', policy: { namespace: name, allowed, allowedFrom, role } };
}

function whereFrom(policy: NamespacePolicy): string {
  return policy.allowedFrom === 'namespace'
    ? `annotation ${ALLOWED_REGISTRIES_ANNOTATION} on the Namespace`
    : 'the cluster default DEFAULT_ALLOWED_REGISTRIES';
}

/** The first registry host the namespace may not use, as a refusal naming it and the patterns; undefined if all may. */
export function disallowedRegistry(hosts: readonly string[], policy: NamespacePolicy): EcrAnywhereError | undefined {
  for (const host of hosts) {
    const registry = parseRegistryEntry(host);
    const ok = 'host' in registry ? policy.allowed.patterns.some((pattern) => patternMatches(pattern, registry)) : policy.allowed.patterns.some((p) => p.any);
    if (!ok) {
      return new EcrAnywhereError(
        ErrorCodes.REGISTRY_NOT_ALLOWED,
        `registry ${host} is not allowed in namespace ${policy.namespace}: its allowed registries are "${policy.allowed.text}" (${whereFrom(policy)})`,
      );
    }
  }
  return undefined;
}

/** Without a namespace watch (no cluster): the review's namespace is taken as enabled, under the cluster defaults. */
export function trustedReviewStanding(defaults: TenancyDefaults): (namespace: string) => NamespaceStanding {
  return (namespace) => namespaceStanding({ name: namespace, labels: { [NAMESPACE_LABEL]: NAMESPACE_LABEL_VALUE } }, defaults);
}
