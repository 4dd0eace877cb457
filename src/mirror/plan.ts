// What goes where: every chart and image of a run with its target repository and tag, the images of all charts
// folded in as they become known, and each conflict (two sources, one repository) kept apart to be reported.
import { formatReference, manifestReferenceOf, repositoryOf, type ImageReference } from './image-reference.js';
import type { ChartSource } from './mirror-file.js';
import { PlacementBook, httpsChartPath, targetRepositoryName, type Conflict } from './target-naming.js';

export interface ImageJob {
  readonly source: ImageReference;
  /** `registry/repository:tag[@digest]`, the key of the job and its name in messages and outputs. */
  readonly sourceText: string;
  readonly targetRepository: string;
  /** Tags are kept; an image pinned only by digest lands untagged. */
  readonly targetTag: string | undefined;
  /** What to ask the source for. */
  readonly sourceReference: string;
  /** Who asked for it: `images[0]`, `chart demo`. */
  readonly origins: string[];
}

export interface ChartPlacement {
  readonly targetRepository: string;
  /** Identity of the source repository: `oci://host/path`, or `<https repo>#<chart>`. */
  readonly sourceIdentity: string;
}

export function chartSourceIdentity(chart: ChartSource): string {
  return chart.kind === 'oci' ? `oci://${repositoryOf(chart.reference)}` : `${chart.repo}#${chart.chart}`;
}

/** How a chart is named in messages: `oci://host/charts/demo:0.1.0`, `https://host/repo demo:0.1.0`. */
export function chartLabel(chart: ChartSource): string {
  return chart.kind === 'oci' ? `oci://${repositoryOf(chart.reference)}:${chart.version}` : `${chart.repo} ${chart.chart}:${chart.version}`;
}

export function chartTargetRepository(chart: ChartSource, prefix: string): string {
  return targetRepositoryName(prefix, chart.kind === 'oci' ? chart.reference.repository : httpsChartPath(chart.chart));
}

export class MirrorPlan {
  private readonly book = new PlacementBook();
  private readonly jobs = new Map<string, ImageJob>();

  constructor(readonly prefix: string) {}

  /** Places a chart; a conflict means the chart is not mirrored. */
  addChart(chart: ChartSource): ChartPlacement | Conflict {
    const placement = { source: chartSourceIdentity(chart), target: chartTargetRepository(chart, this.prefix), origin: chart.origin };
    return this.book.place(placement) ?? { targetRepository: placement.target, sourceIdentity: placement.source };
  }

  /** Places an image (once per reference, however many ask for it); a conflict means it is not mirrored for `origin`. */
  addImage(reference: ImageReference, origin: string): ImageJob | Conflict {
    const sourceText = formatReference(reference);
    const existing = this.jobs.get(sourceText);
    if (existing !== undefined) {
      if (!existing.origins.includes(origin)) existing.origins.push(origin);
      return existing;
    }
    const target = targetRepositoryName(this.prefix, reference.repository);
    const conflict = this.book.place({ source: repositoryOf(reference), target, origin });
    if (conflict !== undefined) return conflict;
    const job: ImageJob = { source: reference, sourceText, targetRepository: target, targetTag: reference.tag, sourceReference: manifestReferenceOf(reference), origins: [origin] };
    this.jobs.set(sourceText, job);
    return job;
  }

  images(): ImageJob[] {
    return [...this.jobs.values()];
  }
}

export function isConflict(value: ImageJob | ChartPlacement | Conflict): value is Conflict {
  return 'first' in value && 'second' in value;
}

/** The target reference users pull: `host/repository:tag`, or `host/repository@digest` when untagged. */
export function targetReference(host: string, repository: string, tag: string | undefined, digest: string): string {
  return tag === undefined ? `${host}/${repository}@${digest}` : `${host}/${repository}:${tag}`;
}
