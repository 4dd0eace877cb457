// The two files a run leaves, as the seed's: replication_result.json (per chart: where it came from, where it is,
// and the values that point its images at ECR) and updated_images.json (every image: source, target, digest).
// Written for whatever was mirrored, also when part of the run failed.
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Values } from './values-override.js';

export interface ChartLocation {
  readonly repo: string;
  readonly chart: string;
  readonly version: string;
}

export interface ChartResult {
  readonly source: ChartLocation;
  /** `repo` is `oci://<ecr host>/<prefix>/…` without the chart name: `helm install NAME <repo>/<chart> --version V`. */
  readonly target: ChartLocation;
  readonly digest: string;
  /** Target references of the chart's images. */
  readonly images: readonly string[];
  readonly values: Values;
}

export interface ImageResult {
  readonly source: string;
  readonly target: string;
  readonly digest: string;
}

export const REPLICATION_RESULT = 'replication_result.json';
export const UPDATED_IMAGES = 'updated_images.json';

export function replicationResult(charts: ReadonlyMap<string, ChartResult>): Record<string, ChartResult> {
  return Object.fromEntries([...charts.entries()].sort(([a], [b]) => a.localeCompare(b)));
}

export function updatedImages(images: readonly ImageResult[]): ImageResult[] {
  const unique = new Map(images.map((image) => [`${image.source} ${image.target}`, image]));
  return [...unique.values()].sort((a, b) => a.source.localeCompare(b.source) || a.target.localeCompare(b.target));
}

async function writeAtomically(file: string, content: unknown): Promise<void> {
  // Written beside, then renamed: a reader never sees half a file.
  await writeFile(`${file}.tmp`, `${JSON.stringify(content, null, 2)}\n`);
  await rename(`${file}.tmp`, file);
}

export async function writeOutputs(directory: string, charts: ReadonlyMap<string, ChartResult>, images: readonly ImageResult[]): Promise<string[]> {
  await mkdir(directory, { recursive: true });
  const files = [join(directory, REPLICATION_RESULT), join(directory, UPDATED_IMAGES)];
  await writeAtomically(files[0] ?? '', replicationResult(charts));
  await writeAtomically(files[1] ?? '', updatedImages(images));
  return files;
}
