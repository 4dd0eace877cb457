// Runs `ecr-anywhere mirror` and `ecr-anywhere mirror cleanup`: the ECR token (the webhook's adapter and token
// cache), the target registry, the run, the output files and the exit code.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EcrAnywhereError, ErrorCodes, errorMessage } from '../common/errors.js';
import { createLogger, type Logger } from '../common/logger.js';
import { systemClock } from '../common/time.js';
import { createEcrTokenFetcher } from '../ecr/adapter.js';
import { createEcrRepositories, type EcrRepositories } from '../ecr/repositories.js';
import { TokenCache } from '../ecr/token-cache.js';
import { runCleanup } from './cleanup.js';
import type { CleanupConfig, MirrorConfig, TargetConfig } from './config.js';
import { credentialSources } from './credential-sources.js';
import { Helm } from './helm.js';
import { parseMirrorFile } from './mirror-file.js';
import { RegistryClient } from './oci/registry-client.js';
import { writeOutputs } from './outputs.js';
import { formatBytes, LogProgress, TerminalProgress, type Progress } from './progress.js';
import { runMirror, type MirrorSummary } from './run.js';

const ECR_TIMEOUT_MS = 15_000;

function flush(logger: Logger): Promise<void> {
  return new Promise((resolve) => logger.flush(() => resolve()));
}

function repositoriesOf(config: TargetConfig): EcrRepositories {
  return createEcrRepositories({ region: config.region, registryId: config.registry?.accountId, timeoutMs: ECR_TIMEOUT_MS, maxAttempts: 3 });
}

export function summaryMessage(summary: MirrorSummary, dryRun: boolean): string {
  const { charts, images, counts } = summary;
  const nothing = counts.manifestsPushed === 0 && counts.bytesMoved === 0;
  const what = `charts ${charts.copied} copied, ${charts.unchanged} already there, ${charts.failed} failed; images ${images.copied} copied, ${images.unchanged} already there, ${images.failed} failed`;
  const bytes = `${formatBytes(counts.bytesMoved)} ${dryRun ? 'to move' : 'moved'} (${counts.blobsCopied} blobs sent, ${counts.blobsMounted} mounted, ${counts.blobsPresent} already there)`;
  const head = summary.failures.length > 0 ? `mirror run finished with ${summary.failures.length} failure${summary.failures.length === 1 ? '' : 's'}` : dryRun ? 'mirror dry run' : nothing ? 'mirror run: nothing copied, everything was already in ECR' : 'mirror run finished';
  return `${head}: ${what}; ${bytes}`;
}

export async function runMirrorCommand(config: MirrorConfig, out: NodeJS.WriteStream = process.stdout): Promise<number> {
  const logger = createLogger({ level: config.logLevel, name: 'ecr-anywhere-mirror' });
  const terminal = out.isTTY === true;
  const say = (line: string): void => {
    if (terminal || config.dryRun) out.write(`${line}\n`);
    else logger.info(line);
  };
  const helmHome = await mkdtemp(join(tmpdir(), 'ecr-anywhere-mirror-helm-'));
  let wroteOutputs = false;
  try {
    let text: string;
    try {
      text = await readFile(config.file, 'utf8');
    } catch (error) {
      throw new EcrAnywhereError(ErrorCodes.CONFIG, `cannot read the mirror file ${config.file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    const parsed = parseMirrorFile(text);
    if (!parsed.ok) throw new EcrAnywhereError(ErrorCodes.CONFIG, `the mirror file ${config.file} is not usable:\n  ${parsed.problems.join('\n  ')}`);

    const writeEmpty = async (): Promise<void> => {
      if (config.dryRun) return;
      await writeOutputs(config.outputDir, new Map(), []);
      wroteOutputs = true;
    };
    // One run fetches one token: a fresh fetch has its whole life (the cache's hand-out rule needs nothing more).
    const tokens = new TokenCache(createEcrTokenFetcher({ timeoutMs: ECR_TIMEOUT_MS, maxAttempts: 3, who: "mirror's" }), systemClock);
    let token;
    try {
      token = (await tokens.get(config.region)).token;
    } catch (error) {
      const message = errorMessage(error);
      logger.error({ code: (error as EcrAnywhereError).code }, `mirror run failed: no ECR credentials: ${message}`);
      await writeEmpty();
      return 1;
    }
    const targetHost = config.registry?.host ?? token.proxyHost;
    const progress: Progress = terminal ? new TerminalProgress(out) : new LogProgress(logger);
    const summary = await runMirror({
      file: parsed.file,
      prefix: config.prefix,
      targetHost,
      target: new RegistryClient({ host: targetHost, credentials: { username: 'AWS', password: token.password } }),
      repositories: repositoriesOf(config),
      repositoryOptions: { immutableTags: config.immutableTags, scanOnPush: config.scanOnPush },
      helm: new Helm(config.helm, helmHome),
      credentialsFor: credentialSources(parsed.file.credentials, config.file, { kubeconfig: config.kubeconfig, context: config.context }),
      progress,
      copy: { chunkSize: config.chunkSize, dryRun: config.dryRun, onBytes: (bytes) => progress.bytes(bytes) },
      concurrency: config.concurrency,
      say,
    });
    let files: string[] = [];
    if (!config.dryRun) {
      files = await writeOutputs(config.outputDir, summary.chartResults, summary.imageResults);
      wroteOutputs = true;
    }
    const message = summaryMessage(summary, config.dryRun);
    const fields = {
      charts: summary.charts,
      images: summary.images,
      ...summary.counts,
      repositoriesCreated: summary.repositoriesCreated,
      failures: summary.failures.map((item) => ({ artefact: item.artefact, code: item.code })),
      files,
      dryRun: config.dryRun,
    };
    if (terminal) {
      for (const item of summary.failures) out.write(`FAILED ${item.artefact}: ${item.code} ${item.message}\n`);
      out.write(`${message}${files.length > 0 ? `\nwrote ${files.join(', ')}` : ''}\n`);
    } else if (summary.failures.length > 0) logger.error(fields, message);
    else logger.info(fields, message);
    return summary.failures.length > 0 ? 1 : 0;
  } catch (error) {
    if (error instanceof EcrAnywhereError && error.code === ErrorCodes.CONFIG.code) throw error;
    logger.error({ code: (error as EcrAnywhereError).code }, `mirror run failed: ${errorMessage(error)}`);
    if (!wroteOutputs && !config.dryRun) await writeOutputs(config.outputDir, new Map(), []).catch(() => undefined);
    return 1;
  } finally {
    await rm(helmHome, { recursive: true, force: true });
    await flush(logger);
  }
}

export async function runCleanupCommand(config: CleanupConfig, out: NodeJS.WritableStream = process.stdout): Promise<number> {
  try {
    const report = await runCleanup(repositoriesOf(config), config.prefix, config.retention, (line) => out.write(`${line}\n`));
    return report.failed > 0 ? 1 : 0;
  } catch (error) {
    process.stderr.write(`ecr-anywhere mirror cleanup: ${errorMessage(error)}\n`);
    return 1;
  }
}
