// The values that point a chart's images at their mirrored copies, for `helm install -f replication_result.json`.
// Charts spell images in their values in a few common shapes; we rewrite the leaves that spell an image the render
// actually used, and nothing else:
//   `image: docker.io/library/nginx:1.27`              a whole reference (any key)
//   `image: {registry: docker.io, repository: x/y, tag}` registry and repository rewritten separately
//   `image: {repository: nginx, tag: 1.27}`            repository becomes `<ecr host>/<prefix>/library/nginx`
//   `image: nginx` beside a tag key                    a bare repository under a key that names an image
// Tags are kept by the mirror, so tags are never rewritten. The caller proves the result by rendering again.
import { parseImageReference, repositoryOf, type ImageReference } from './image-reference.js';

export type Values = { [key: string]: unknown };

/** A source repository (`registry/repository`) and where it was mirrored to (`host`, `repository` path in ECR). */
export interface RepositoryMove {
  readonly source: string;
  readonly targetHost: string;
  readonly targetRepository: string;
}

function isValues(value: unknown): value is Values {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function sourceRepository(text: string): string | undefined {
  const parsed = parseImageReference(text, { defaultTag: false });
  return parsed.ok ? repositoryOf(parsed.reference) : undefined;
}

function rewriteReferenceText(text: string, moves: ReadonlyMap<string, RepositoryMove>): string | undefined {
  const parsed = parseImageReference(text, { defaultTag: false });
  if (!parsed.ok) return undefined;
  const move = moves.get(repositoryOf(parsed.reference));
  if (move === undefined) return undefined;
  const { tag, digest } = parsed.reference;
  return `${move.targetHost}/${move.targetRepository}${tag === undefined ? '' : `:${tag}`}${digest === undefined ? '' : `@${digest}`}`;
}

const IMAGE_KEY = /image|repository/i;

function rewriteImageObject(node: Values, moves: ReadonlyMap<string, RepositoryMove>): Values | undefined {
  const { registry, repository } = node;
  if (typeof repository !== 'string' || repository === '') return undefined;
  const hasRegistry = typeof registry === 'string' && registry !== '';
  const source = sourceRepository(hasRegistry ? `${registry}/${repository}` : repository);
  const move = source === undefined ? undefined : moves.get(source);
  if (move === undefined) return undefined;
  return hasRegistry ? { ...node, registry: move.targetHost, repository: move.targetRepository } : { ...node, repository: `${move.targetHost}/${move.targetRepository}` };
}

function rewrite(value: unknown, key: string, moves: ReadonlyMap<string, RepositoryMove>): unknown {
  if (Array.isArray(value)) return value.map((item) => rewrite(item, key, moves));
  if (isValues(value)) {
    const asImage = rewriteImageObject(value, moves);
    if (asImage !== undefined) return asImage;
    return Object.fromEntries(Object.entries(value).map(([childKey, child]) => [childKey, rewrite(child, childKey, moves)]));
  }
  if (typeof value !== 'string') return value;
  // A whole reference names its registry or its tag; a bare name is only taken under a key that says "image".
  const spelledOut = value.includes('/') || value.includes(':') || value.includes('@');
  if (!spelledOut && !IMAGE_KEY.test(key)) return value;
  return rewriteReferenceText(value, moves) ?? value;
}

/** The part of `after` that differs from `before`: changed leaves, and whole arrays holding a change (Helm replaces lists). */
function difference(before: unknown, after: unknown): unknown {
  if (isValues(before) && isValues(after)) {
    const changed: Values = {};
    for (const [key, value] of Object.entries(after)) {
      const child = difference(before[key], value);
      if (child !== undefined) changed[key] = child;
    }
    return Object.keys(changed).length === 0 ? undefined : changed;
  }
  return JSON.stringify(before) === JSON.stringify(after) ? undefined : after;
}

/** Helm's merge of a values file over defaults: objects merge key by key, anything else replaces. */
export function mergeValues(base: Values, over: Values): Values {
  const merged: Values = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = merged[key];
    merged[key] = isValues(current) && isValues(value) ? mergeValues(current, value) : value;
  }
  return merged;
}

/**
 * The override for one chart: `userValues` (what it was rendered with) with every image spelling found in the
 * chart's effective values (`chartDefaults` merged with `userValues`) pointed at its mirror.
 */
export function imageValuesOverride(chartDefaults: Values, userValues: Values, moves: readonly RepositoryMove[]): Values {
  const bySource = new Map(moves.map((move) => [move.source, move]));
  const effective = mergeValues(chartDefaults, userValues);
  const changed = difference(effective, rewrite(effective, '', bySource));
  return isValues(changed) ? mergeValues(userValues, changed) : { ...userValues };
}

/** Images of a render that are not in the target registry: what the override failed to point at the mirror. */
export function imagesOutsideTarget(references: readonly ImageReference[], targetHost: string): ImageReference[] {
  return references.filter((reference) => reference.registry !== targetHost.toLowerCase());
}
