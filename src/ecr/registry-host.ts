// Parsing of ECR registry hosts: `<12-digit account>.dkr.ecr[-fips].<region>.amazonaws.com[.cn]`, for regions the
// AWS SDK's partitions list (see regions.ts), so an invented region never reaches ECR, a metric label or DNS.
// The registries annotation also takes ECR Public's one host, `public.ecr.aws`.
import { ECR_PUBLIC_HOST } from '../common/names.js';
import { knownRegion } from './regions.js';

/** ECR Public is served from us-east-1 only, whatever region the registries are in. */
export const ECR_PUBLIC_REGION = 'us-east-1';

export interface EcrRegistry {
  /** Lower-case host, the key used in `.dockerconfigjson` auths. */
  readonly host: string;
  /** Empty for ECR Public (its token is not tied to an account). */
  readonly accountId: string;
  readonly region: string;
  readonly fips: boolean;
  /** `public.ecr.aws`: its token comes from ECR Public, not from ECR in `region`. */
  readonly ecrPublic: boolean;
  /**
   * What one token authorizes, the key of the token cache: the region for private registries (one token serves every
   * account there), `public.ecr.aws` for ECR Public.
   */
  readonly tokenScope: string;
}

export const ECR_PUBLIC_REGISTRY: EcrRegistry = Object.freeze({
  host: ECR_PUBLIC_HOST,
  accountId: '',
  region: ECR_PUBLIC_REGION,
  fips: false,
  ecrPublic: true,
  tokenScope: ECR_PUBLIC_HOST,
});

export type RegistryListResult =
  | { readonly ok: true; readonly registries: readonly EcrRegistry[] }
  | { readonly ok: false; readonly entry: string; readonly reason: string };

const ECR_HOST = /^(\d{12})\.dkr\.(ecr|ecr-fips)\.([a-z]{2}(?:-[a-z]+)+-\d+)\.amazonaws\.com(\.cn)?$/;

/** Parses one private ECR registry host; returns a reason when it is not one. */
export function parseRegistryHost(entry: string): EcrRegistry | { readonly reason: string } {
  const host = entry.trim().toLowerCase();
  if (host.includes('://') || host.includes('/')) {
    return { reason: 'give the registry host only, without scheme or path' };
  }
  const match = ECR_HOST.exec(host);
  if (!match) {
    return { reason: 'expected <12-digit account>.dkr.ecr.<region>.amazonaws.com (or .amazonaws.com.cn, or dkr.ecr-fips)' };
  }
  const [, accountId = '', service, region = '', chinaSuffix] = match;
  const chinaRegion = region.startsWith('cn-');
  if (chinaRegion !== (chinaSuffix !== undefined)) {
    return { reason: chinaRegion ? 'China regions use the .amazonaws.com.cn suffix' : 'only China regions use .amazonaws.com.cn' };
  }
  const known = knownRegion(region);
  if (known === undefined) return { reason: `"${region}" is not a region of any AWS partition this version knows` };
  const suffix = chinaSuffix === undefined ? 'amazonaws.com' : 'amazonaws.com.cn';
  if (known.dnsSuffix !== suffix) return { reason: `${region} is in the ${known.partition} partition, whose hosts end in ${known.dnsSuffix}` };
  return { host, accountId, region, fips: service === 'ecr-fips', ecrPublic: false, tokenScope: region };
}

/** Parses one entry of the registries annotation: a private ECR registry host, or `public.ecr.aws`. */
export function parseRegistryEntry(entry: string): EcrRegistry | { readonly reason: string } {
  if (entry.trim().toLowerCase() === ECR_PUBLIC_HOST) return ECR_PUBLIC_REGISTRY;
  const parsed = parseRegistryHost(entry);
  if ('reason' in parsed && parsed.reason.startsWith('expected ')) return { reason: `${parsed.reason}, or ${ECR_PUBLIC_HOST} for ECR Public` };
  return parsed;
}

function isRegistry(value: EcrRegistry | { readonly reason: string }): value is EcrRegistry {
  return 'host' in value;
}

/**
 * Parses the comma-separated registries annotation. Empty items (a trailing comma) are ignored and duplicates
 * collapse; a blank annotation means "the default registry" and yields an empty list.
 */
const NO_REGISTRIES: RegistryListResult = Object.freeze({ ok: true, registries: Object.freeze([]) });

export function parseRegistryList(annotation: string | undefined): RegistryListResult {
  // Most Secrets name no registries: no splitting, no Map, no arrays for them.
  if (annotation === undefined || annotation.trim() === '') return NO_REGISTRIES;
  const registries = new Map<string, EcrRegistry>();
  for (const rawEntry of annotation.split(',')) {
    if (rawEntry.trim() === '') continue;
    const parsed = parseRegistryEntry(rawEntry);
    if (!isRegistry(parsed)) return { ok: false, entry: rawEntry.trim(), reason: parsed.reason };
    registries.set(parsed.host, parsed);
  }
  return { ok: true, registries: [...registries.values()] };
}

/** Host of an ECR proxy endpoint URL such as `https://123456789012.dkr.ecr.us-east-1.amazonaws.com`. */
export function hostOfProxyEndpoint(proxyEndpoint: string): string {
  try {
    return new URL(proxyEndpoint).host.toLowerCase();
  } catch {
    return proxyEndpoint.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '').toLowerCase();
  }
}
