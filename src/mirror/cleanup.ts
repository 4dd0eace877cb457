// `ecr-anywhere mirror cleanup`: the repositories of one prefix, listed (retain, the default) or deleted
// (destroy) — images first, then the empty repository, so one pushed meanwhile makes the delete fail, not vanish.
import { errorMessage } from '../common/errors.js';
import type { EcrRepositories } from '../ecr/repositories.js';
import type { Retention } from './config.js';

/** Only names under `<prefix>/`: a listing by prefix would also return `<prefix>-other/…` and `<prefix>x`. */
export function repositoriesUnderPrefix(names: readonly string[], prefix: string): string[] {
  return names.filter((name) => name.startsWith(`${prefix}/`)).sort();
}

export interface CleanupReport {
  readonly repositories: ReadonlyArray<{ readonly name: string; readonly images: number; readonly deleted: boolean; readonly error?: string }>;
  readonly failed: number;
}

export async function runCleanup(repositories: EcrRepositories, prefix: string, retention: Retention, say: (line: string) => void): Promise<CleanupReport> {
  const names = repositoriesUnderPrefix(await repositories.list(`${prefix}/`), prefix);
  const report: Array<{ name: string; images: number; deleted: boolean; error?: string }> = [];
  let failed = 0;
  for (const name of names) {
    try {
      const images = await repositories.images(name);
      if (retention === 'retain') {
        say(`would delete ${name} (${images.length} image${images.length === 1 ? '' : 's'})`);
        report.push({ name, images: images.length, deleted: false });
        continue;
      }
      await repositories.deleteImages(name, images.map((image) => image.digest));
      await repositories.deleteRepository(name);
      say(`deleted ${name} (${images.length} image${images.length === 1 ? '' : 's'})`);
      report.push({ name, images: images.length, deleted: true });
    } catch (error) {
      failed += 1;
      const message = errorMessage(error);
      say(`FAILED ${name}: ${message}`);
      report.push({ name, images: 0, deleted: false, error: message });
    }
  }
  if (names.length === 0) say(`no ECR repository starts with ${prefix}/: nothing to ${retention === 'retain' ? 'list' : 'delete'}`);
  else if (retention === 'retain') say(`retention retain: nothing deleted; run with --retention destroy to delete these ${names.length} repositories`);
  return { repositories: report, failed };
}
