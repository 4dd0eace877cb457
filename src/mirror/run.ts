// One mirror run: charts first (pull, render, collect their images, copy the chart), then every image at once up to
// the concurrency, then per chart the values that point its images at ECR, proven by rendering again. A failure
// is recorded against its artefact and the run goes on; the outputs hold everything that did get mirrored.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCodes, errorMessage } from '../common/errors.js';
import { mapBounded } from '../common/pool.js';
import type { EcrRepositories, RepositoryOptions } from '../ecr/repositories.js';
import { chartArtifact } from './chart-artifact.js';
import { addCounts, BlobLedger, copyArtifact, emptyCounts, pushArtifact, type CopyCounts, type CopyOptions, type CopyOutcome } from './copy.js';
import type { CredentialsFor } from './credential-sources.js';
import { describeFailure, failure, type MirrorFailure } from './failures.js';
import type { Helm } from './helm.js';
import { formatReference, parseImageReference, repositoryOf, type ImageReference } from './image-reference.js';
import { imagesOfManifests, type FoundImage } from './manifest-images.js';
import { chartHost, type ChartSource, type MirrorFile } from './mirror-file.js';
import { RegistryClient } from './oci/registry-client.js';
import type { ChartResult, ImageResult } from './outputs.js';
import { chartLabel, isConflict, MirrorPlan, targetReference, type ImageJob } from './plan.js';
import type { Progress } from './progress.js';
import { conflictMessage } from './target-naming.js';
import { imagesOutsideTarget, imageValuesOverride, type RepositoryMove, type Values } from './values-override.js';

export interface MirrorDeps {
  readonly file: MirrorFile;
  readonly prefix: string;
  /** The ECR registry host images are pushed to, and a client holding its credentials. */
  readonly targetHost: string;
  readonly target: RegistryClient;
  readonly repositories: EcrRepositories;
  readonly repositoryOptions: RepositoryOptions;
  readonly helm: Helm;
  readonly credentialsFor: CredentialsFor;
  readonly progress: Progress;
  readonly copy: CopyOptions;
  readonly concurrency: number;
  /** Dry run: lines saying what would be done. */
  readonly say: (line: string) => void;
}

export interface MirrorSummary {
  readonly charts: { copied: number; unchanged: number; failed: number };
  readonly images: { copied: number; unchanged: number; failed: number };
  readonly counts: CopyCounts;
  readonly repositoriesCreated: number;
  readonly failures: readonly MirrorFailure[];
  readonly chartResults: ReadonlyMap<string, ChartResult>;
  readonly imageResults: readonly ImageResult[];
}

interface RenderedChart {
  readonly chart: ChartSource;
  readonly archive: string;
  readonly defaults: Values;
  readonly images: ImageJob[];
  readonly targetRepository: string;
  outcome?: CopyOutcome;
}

export async function runMirror(deps: MirrorDeps): Promise<MirrorSummary> {
  const plan = new MirrorPlan(deps.prefix);
  const failures: MirrorFailure[] = [];
  const counts = emptyCounts();
  const ledger = new BlobLedger();
  const charts = { copied: 0, unchanged: 0, failed: 0 };
  const images = { copied: 0, unchanged: 0, failed: 0 };
  const sources = new Map<string, Promise<RegistryClient>>();
  const ensured = new Map<string, Promise<void>>();
  let repositoriesCreated = 0;
  const work = await mkdtemp(join(tmpdir(), 'ecr-anywhere-mirror-'));

  const sourceClient = (host: string): Promise<RegistryClient> => {
    let client = sources.get(host);
    if (client === undefined) {
      client = deps.credentialsFor(host).then((credentials) => new RegistryClient({ host, credentials }));
      sources.set(host, client);
    }
    return client;
  };

  const existing = deps.copy.dryRun ? new Set(await deps.repositories.list(`${deps.prefix}/`)) : new Set<string>();
  const ensureRepository = (name: string): Promise<void> => {
    let pending = ensured.get(name);
    if (pending === undefined) {
      pending = deps.copy.dryRun
        ? Promise.resolve(existing.has(name) ? undefined : deps.say(`would create ECR repository ${name}`))
        : deps.repositories.ensure(name, deps.repositoryOptions).then(
            (result) => {
              if (result === 'created') repositoriesCreated += 1;
            },
            (error: unknown) => {
              const reason = errorMessage(error);
              throw Object.assign(new Error(`ECR repository ${name} could not be created: ${reason}`), { refusedRepository: true });
            },
          );
      ensured.set(name, pending);
    }
    return pending;
  };
  const repositoryFailure = (kind: MirrorFailure['kind'], artefact: string, error: unknown, fallback: Parameters<typeof describeFailure>[4]): MirrorFailure =>
    (error as { refusedRepository?: boolean }).refusedRepository === true
      ? failure(kind, artefact, ErrorCodes.MIRROR_REPOSITORY_REFUSED, (error as Error).message)
      : describeFailure(kind, artefact, error, deps.targetHost, fallback);
  const fail = (item: MirrorFailure): void => {
    failures.push(item);
    deps.progress.artefact({ kind: item.kind === 'chart' ? 'chart' : 'image', outcome: 'failed', source: item.artefact, target: undefined, code: item.code, error: item.message });
  };

  const addImage = (reference: ImageReference, origin: string): ImageJob | undefined => {
    const placed = plan.addImage(reference, origin);
    if (!isConflict(placed)) return placed;
    fail(failure('image', formatReference(reference), ErrorCodes.MIRROR_CONFLICT, conflictMessage(placed)));
    return undefined;
  };

  try {
    deps.progress.expect('chart', deps.file.charts.length);
    for (const image of deps.file.images) addImage(image.reference, image.origin);

    // ---------------------------------------------------------------- charts: pull, render, collect, copy
    const rendered: RenderedChart[] = [];
    for (const [index, chart] of deps.file.charts.entries()) {
      const label = chartLabel(chart);
      const placed = plan.addChart(chart);
      if (isConflict(placed)) {
        charts.failed += 1;
        fail(failure('chart', label, ErrorCodes.MIRROR_CONFLICT, conflictMessage(placed)));
        continue;
      }
      let archive: string;
      let defaults: Values;
      let manifests: string;
      try {
        archive = await deps.helm.pull(chart, await deps.credentialsFor(chartHost(chart)), join(work, `chart-${index}`));
        defaults = await deps.helm.defaultValues(archive);
      } catch (error) {
        charts.failed += 1;
        fail(describeFailure('chart', label, error, deps.targetHost, ErrorCodes.MIRROR_CHART_PULL));
        continue;
      }
      try {
        manifests = await deps.helm.template(archive, chart.chart, chart.values, join(work, `values-${index}.json`));
      } catch (error) {
        charts.failed += 1;
        fail(describeFailure('chart', label, error, deps.targetHost, ErrorCodes.MIRROR_CHART_RENDER));
        continue;
      }
      const jobs: ImageJob[] = [];
      let found: FoundImage[];
      try {
        found = imagesOfManifests(manifests);
      } catch (error) {
        charts.failed += 1;
        fail(describeFailure('chart', label, error, deps.targetHost, ErrorCodes.MIRROR_CHART_RENDER));
        continue;
      }
      for (const image of found) {
        const parsed = parseImageReference(image.reference);
        if (!parsed.ok) {
          fail(failure('image', image.reference, ErrorCodes.MIRROR_CHART_RENDER, `${label} renders "${image.reference}" at ${image.where}, which is not an image reference: ${parsed.reason}`));
          continue;
        }
        const job = addImage(parsed.reference, `chart ${chart.chart}`);
        if (job !== undefined && !jobs.includes(job)) jobs.push(job);
      }
      rendered.push({ chart, archive, defaults, images: jobs, targetRepository: placed.targetRepository });
    }

    for (const entry of rendered) {
      const { chart } = entry;
      const label = chartLabel(chart);
      try {
        await ensureRepository(entry.targetRepository);
        if (chart.kind === 'oci') {
          const source = await sourceClient(chart.reference.registry);
          entry.outcome = await copyArtifact(
            { source, sourceRepository: chart.reference.repository, sourceReference: chart.version, target: deps.target, targetRepository: entry.targetRepository, targetTag: chart.version },
            ledger,
            deps.copy,
          );
        } else {
          const artifact = chartArtifact(await readFile(entry.archive), await deps.helm.metadata(entry.archive));
          entry.outcome = await pushArtifact(deps.target, entry.targetRepository, chart.version, artifact, deps.copy);
        }
        addCounts(counts, entry.outcome.counts);
        if (entry.outcome.unchanged) charts.unchanged += 1;
        else charts.copied += 1;
        deps.progress.artefact({
          kind: 'chart',
          outcome: entry.outcome.unchanged ? 'unchanged' : deps.copy.dryRun ? 'would-copy' : 'copied',
          source: label,
          target: `oci://${deps.targetHost}/${entry.targetRepository}:${chart.version}`,
          digest: entry.outcome.digest,
          ...entry.outcome.counts,
        });
      } catch (error) {
        charts.failed += 1;
        fail(repositoryFailure('chart', label, error, ErrorCodes.MIRROR_PUSH_REFUSED));
      }
    }

    // ---------------------------------------------------------------- images
    const jobs = plan.images();
    deps.progress.expect('image', jobs.length);
    const copied = new Map<string, ImageResult>();
    await mapBounded(jobs, deps.concurrency, async (job) => {
      try {
        await ensureRepository(job.targetRepository);
        const source = await sourceClient(job.source.registry);
        const outcome = await copyArtifact(
          { source, sourceRepository: job.source.repository, sourceReference: job.sourceReference, target: deps.target, targetRepository: job.targetRepository, targetTag: job.targetTag },
          ledger,
          deps.copy,
        );
        addCounts(counts, outcome.counts);
        if (outcome.unchanged) images.unchanged += 1;
        else images.copied += 1;
        const target = targetReference(deps.targetHost, job.targetRepository, job.targetTag, outcome.digest);
        copied.set(job.sourceText, { source: job.sourceText, target, digest: outcome.digest });
        deps.progress.artefact({ kind: 'image', outcome: outcome.unchanged ? 'unchanged' : deps.copy.dryRun ? 'would-copy' : 'copied', source: job.sourceText, target, digest: outcome.digest, ...outcome.counts });
      } catch (error) {
        images.failed += 1;
        fail(repositoryFailure('image', job.sourceText, error, ErrorCodes.MIRROR_SOURCE_UNREACHABLE));
      }
    });

    // ---------------------------------------------------------------- values per chart, proven by a second render
    const chartResults = new Map<string, ChartResult>();
    for (const [index, entry] of rendered.entries()) {
      if (entry.outcome === undefined) continue;
      const { chart } = entry;
      const moves: RepositoryMove[] = entry.images
        .filter((job) => copied.has(job.sourceText))
        .map((job) => ({ source: repositoryOf(job.source), targetHost: deps.targetHost, targetRepository: job.targetRepository }));
      const values = imageValuesOverride(entry.defaults, chart.values, moves);
      try {
        const again = imagesOfManifests(await deps.helm.template(entry.archive, chart.chart, values, join(work, `mirrored-values-${index}.json`)));
        const parsed = again.flatMap((image) => {
          const result = parseImageReference(image.reference);
          return result.ok ? [result.reference] : [];
        });
        const outside = imagesOutsideTarget(parsed, deps.targetHost).map(formatReference);
        if (outside.length > 0) {
          fail(failure('chart', chartLabel(chart), ErrorCodes.MIRROR_VALUES_INCOMPLETE, `with the written values the chart still pulls ${[...new Set(outside)].join(', ')}: its values do not spell these images in a shape the mirror rewrites (set them by hand)`));
        }
      } catch (error) {
        fail(describeFailure('chart', chartLabel(chart), error, deps.targetHost, ErrorCodes.MIRROR_CHART_RENDER));
      }
      const slash = entry.targetRepository.lastIndexOf('/');
      chartResults.set(chart.chart, {
        source: { repo: chart.kind === 'oci' ? `oci://${chart.reference.registry}/${chart.reference.repository.split('/').slice(0, -1).join('/')}`.replace(/\/$/, '') : chart.repo, chart: chart.chart, version: chart.version },
        target: { repo: `oci://${deps.targetHost}/${entry.targetRepository.slice(0, slash)}`, chart: entry.targetRepository.slice(slash + 1), version: chart.version },
        digest: entry.outcome.digest,
        images: entry.images.flatMap((job) => {
          const result = copied.get(job.sourceText);
          return result === undefined ? [] : [result.target];
        }),
        values,
      });
    }

    return { charts, images, counts, repositoriesCreated, failures, chartResults, imageResults: [...copied.values()] };
  } finally {
    deps.progress.close();
    await rm(work, { recursive: true, force: true });
  }
}
