// Where each source lands in ECR: `<prefix>/<source repository path without its host>`, and the refusal when two
// different sources would land in one repository (their tags would overwrite each other).

/** ECR's repository name rule (CreateRepository): lower-case parts separated by '/', '.', '_' or '-'. */
const ECR_REPOSITORY_NAME = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
const ECR_NAME_MIN = 2;
const ECR_NAME_MAX = 256;

/** Why `name` cannot be an ECR repository name, or undefined when it can. */
export function ecrRepositoryNameProblem(name: string): string | undefined {
  if (name.length < ECR_NAME_MIN || name.length > ECR_NAME_MAX) return `ECR repository names have ${ECR_NAME_MIN} to ${ECR_NAME_MAX} characters`;
  if (!ECR_REPOSITORY_NAME.test(name)) return "ECR repository names are lower-case letters and digits in parts separated by '/', '.', '_' or '-' (one at a time)";
  return undefined;
}

/** Why `prefix` cannot start repository names, or undefined when it can. */
export function prefixProblem(prefix: string): string | undefined {
  if (prefix === '') return 'the prefix is empty';
  if (prefix.endsWith('/') || prefix.startsWith('/')) return 'give the prefix without a leading or trailing "/"';
  // A prefix may be a single character: only the whole name (prefix/path) has ECR's minimum length.
  const problem = ecrRepositoryNameProblem(`${prefix}/x`);
  return problem === undefined ? undefined : `the prefix "${prefix}" is not usable: ${problem}`;
}

export function targetRepositoryName(prefix: string, sourcePath: string): string {
  return `${prefix}/${sourcePath}`;
}

/** A chart from an https repository has no repository path of its own: it lands under `charts/<name>`. */
export function httpsChartPath(chartName: string): string {
  return `charts/${chartName}`;
}

/** One source repository and the target repository it lands in; `source` is the source's identity (host and path). */
export interface Placement {
  readonly source: string;
  readonly target: string;
  /** Who asked for it, for messages: `images[2]`, `chart demo (charts[0])`. */
  readonly origin: string;
}

export interface Conflict {
  readonly target: string;
  readonly first: Placement;
  readonly second: Placement;
}

export function conflictMessage(conflict: Conflict): string {
  return `${conflict.second.origin} (${conflict.second.source}) and ${conflict.first.origin} (${conflict.first.source}) would both land in ECR repository ${conflict.target}; mirror them under different prefixes`;
}

/**
 * Keeps the first placement per target repository and reports every later one from a different source. The same
 * source asked for twice (two tags of one image, one image used by two charts) is no conflict.
 */
export class PlacementBook {
  private readonly byTarget = new Map<string, Placement>();

  /** Records the placement; returns the conflict it makes, if any (the placement is then not recorded). */
  place(placement: Placement): Conflict | undefined {
    const existing = this.byTarget.get(placement.target);
    if (existing === undefined) {
      this.byTarget.set(placement.target, placement);
      return undefined;
    }
    return existing.source === placement.source ? undefined : { target: placement.target, first: existing, second: placement };
  }

  targets(): string[] {
    return [...this.byTarget.keys()];
  }
}
