// Which regions exist, as the AWS SDK's own partition data says (aws, aws-cn, aws-us-gov, aws-iso*, aws-eusc):
// a region is known when a partition lists it by name. A partition's regionRegex alone is not enough — it matches
// `us-anything-9` too, and every new name would mint a metric label, an SDK client and a DNS lookup. A region
// launched after this SDK version is refused until the SDK is upgraded; that is the price of a bounded set.
import { partition } from '@aws-sdk/core/client';

export interface KnownRegion {
  /** Partition id, e.g. `aws`, `aws-cn`, `aws-us-gov`. */
  readonly partition: string;
  /** Host suffix of the partition's endpoints, e.g. `amazonaws.com`, `amazonaws.com.cn`. */
  readonly dnsSuffix: string;
}

/** Region names look like `us-east-1`; the pseudo-regions `aws-global` and friends are not ECR regions. */
const REGION_NAME = /^[a-z]{2,4}(-[a-z]+)+-\d+$/;

/**
 * Regions found listed, so each admission does not walk the SDK's partition data again (~2.5 µs). Only listed
 * regions are kept, so the map is bounded by the SDK's own list whatever names reviews carry.
 */
const KNOWN = new Map<string, KnownRegion>();

/**
 * The partition that lists `region` by name, or undefined. The SDK's `partition()` falls back to `aws` for any
 * string; only an entry listed by name carries its `description`, which is how a listed region is told apart.
 */
export function knownRegion(region: string): KnownRegion | undefined {
  const remembered = KNOWN.get(region);
  if (remembered !== undefined) return remembered;
  if (!REGION_NAME.test(region)) return undefined;
  const found = partition(region) as { name?: unknown; dnsSuffix?: unknown; description?: unknown };
  if (typeof found.description !== 'string' || typeof found.name !== 'string' || typeof found.dnsSuffix !== 'string') return undefined;
  const known = { partition: found.name, dnsSuffix: found.dnsSuffix };
  KNOWN.set(region, known);
  return known;
}
