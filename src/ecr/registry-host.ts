// Parsing of ECR registry hosts: `<12-digit account>.dkr.ecr[-fips].<region>.amazonaws.com[.cn]`, for regions the
// AWS SDK's partitions list (see regions.ts), so an invented region never reaches ECR, a metric label or DNS.
import { knownRegion } from './regions.js';

export interface EcrRegistry {
  /** Lower-case host, the key used in `.dockerconfigjson` auths. */
  readonly host: string;
  readonly accountId: string;
  readonly region: string;
  readonly fips: boolean;
}

export type RegistryListResult =
  | { readonly ok: true; readonly registries: readonly EcrRegistry[] }
  | { readonly ok: false; readonly entry: string; readonly reason: string };

const ECR_HOST = /^(\d{12})\.dkr\.(ecr|ecr-fips)\.([a-z]{2}(?:-[a-z]+)+-\d+)\.amazonaws\.com(\.cn)?$/;

/** Parses one host; returns a reason when it is not an ECR registry host. */
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
  return { host, accountId, region, fips: service === 'ecr-fips' };
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
    const parsed = parseRegistryHost(rawEntry);
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
