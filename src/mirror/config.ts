// Options of `ecr-anywhere mirror` and `ecr-anywhere mirror cleanup`: flags override environment variables, which
// override defaults. A bad value stops the program (exit 2) with a message naming the setting.
import { parseArgs } from 'node:util';
import { awsRegion, configError, parseBooleanSetting, parseLogLevel, parsePositiveInt, pick, type Env } from '../common/config.js';
import { parseRegistryHost, type EcrRegistry } from '../ecr/registry-host.js';
import { prefixProblem } from './target-naming.js';

export interface TargetConfig {
  readonly prefix: string;
  /** The ECR registry given with --registry; undefined: the default registry of the region (its proxyEndpoint). */
  readonly registry: EcrRegistry | undefined;
  readonly region: string;
}

export interface MirrorConfig extends TargetConfig {
  readonly file: string;
  readonly outputDir: string;
  readonly dryRun: boolean;
  readonly immutableTags: boolean;
  readonly scanOnPush: boolean;
  readonly concurrency: number;
  readonly chunkSize: number;
  readonly helm: string;
  readonly kubeconfig: string | undefined;
  readonly context: string | undefined;
  readonly logLevel: ReturnType<typeof parseLogLevel>;
}

export type Retention = 'retain' | 'destroy';

export interface CleanupConfig extends TargetConfig {
  readonly retention: Retention;
}

export const MIRROR_USAGE = `Usage: ecr-anywhere mirror -f mirror.yaml --prefix NAME [options]
       ecr-anywhere mirror cleanup --prefix NAME [--retention retain|destroy]

mirror: copies the charts and images of the mirror file, and every image the charts render, into ECR
repositories named <prefix>/<source path> (charts from https repositories: <prefix>/charts/<name>), by
digest, all platforms, each blob once. Writes replication_result.json (per chart: source, target, and values
pointing its images at ECR, for helm install -f) and updated_images.json ({source, target, digest} per image).
Exit 0 when everything was mirrored; 1 when anything failed (the rest is still done and both files written);
2 on bad options or a bad mirror file.

cleanup: lists (--retention retain, the default) or deletes (--retention destroy) the ECR repositories whose
names start with <prefix>/. It never touches any other repository.

Options (each also read from the environment variable in brackets):
  -f, --file PATH         the mirror file [MIRROR_FILE] (mirror only)
  --prefix NAME           first part of every repository name, e.g. the project [MIRROR_PREFIX] (required)
  --registry HOST         ECR registry <account>.dkr.ecr.<region>.amazonaws.com [MIRROR_REGISTRY]
                          (default: the caller's registry in AWS_REGION, as GetAuthorizationToken names it)
  --region REGION         AWS region when --registry is not given [AWS_REGION]
  --output DIR            where the two output files go [MIRROR_OUTPUT] (default: the working directory)
  --dry-run               print what would be copied and created; create, upload and write nothing
  --immutable-tags        create repositories with tag immutability [MIRROR_IMMUTABLE_TAGS]
  --scan-on-push          create repositories with scan on push [MIRROR_SCAN_ON_PUSH]
  --concurrency N         images copied at once [MIRROR_CONCURRENCY] (default 4)
  --chunk-size BYTES      upload blobs larger than this in chunks of this size [MIRROR_CHUNK_SIZE]
                          (default 16777216; ECR refuses chunks under 5 MiB except the last)
  --helm PATH             the helm binary [HELM] (default: helm on PATH)
  --kubeconfig PATH       kubeconfig for credentials kept in Kubernetes Secrets (default: $KUBECONFIG)
  --context NAME          kubeconfig context [KUBE_CONTEXT]
  --retention MODE        cleanup: retain (list only) or destroy [MIRROR_RETENTION] (default retain)
  --log-level LEVEL       fatal|error|warn|info|debug|trace|silent [LOG_LEVEL] (default info)`;

const DEFAULT_CHUNK_SIZE = 16 * 1024 * 1024;
const MIN_CHUNK_SIZE = 1024;

function target(values: { prefix?: string | undefined; registry?: string | undefined; region?: string | undefined }, env: Env): TargetConfig {
  const prefix = pick(values.prefix, env, 'MIRROR_PREFIX');
  if (prefix === undefined) throw configError('--prefix is required: repositories are named <prefix>/<source path>, and cleanup deletes only <prefix>/…');
  const problem = prefixProblem(prefix);
  if (problem !== undefined) throw configError(`--prefix: ${problem}`);
  const registryText = pick(values.registry, env, 'MIRROR_REGISTRY');
  if (registryText === undefined) return { prefix, registry: undefined, region: awsRegion(values.region, env) };
  const registry = parseRegistryHost(registryText);
  if (!('host' in registry)) throw configError(`--registry "${registryText}": ${registry.reason}`);
  return { prefix, registry, region: registry.region };
}

export function parseMirrorConfig(argv: readonly string[], env: Env): MirrorConfig {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      file: { type: 'string', short: 'f' },
      prefix: { type: 'string' },
      registry: { type: 'string' },
      region: { type: 'string' },
      output: { type: 'string' },
      'dry-run': { type: 'boolean' },
      'immutable-tags': { type: 'boolean' },
      'scan-on-push': { type: 'boolean' },
      concurrency: { type: 'string' },
      'chunk-size': { type: 'string' },
      helm: { type: 'string' },
      kubeconfig: { type: 'string' },
      context: { type: 'string' },
      'log-level': { type: 'string' },
    },
    strict: true,
    allowPositionals: false,
  });
  const file = pick(values.file, env, 'MIRROR_FILE');
  if (file === undefined) throw configError('-f/--file is required: the mirror file listing charts and images');
  const chunkSize = parsePositiveInt(pick(values['chunk-size'], env, 'MIRROR_CHUNK_SIZE'), '--chunk-size', DEFAULT_CHUNK_SIZE);
  if (chunkSize < MIN_CHUNK_SIZE) throw configError(`--chunk-size must be at least ${MIN_CHUNK_SIZE} bytes, got ${chunkSize}`);
  return {
    ...target(values, env),
    file,
    outputDir: pick(values.output, env, 'MIRROR_OUTPUT') ?? '.',
    dryRun: values['dry-run'] === true,
    immutableTags: parseBooleanSetting(values['immutable-tags'], env, 'MIRROR_IMMUTABLE_TAGS'),
    scanOnPush: parseBooleanSetting(values['scan-on-push'], env, 'MIRROR_SCAN_ON_PUSH'),
    concurrency: parsePositiveInt(pick(values.concurrency, env, 'MIRROR_CONCURRENCY'), '--concurrency', 4),
    chunkSize,
    helm: pick(values.helm, env, 'HELM') ?? 'helm',
    kubeconfig: values.kubeconfig,
    context: pick(values.context, env, 'KUBE_CONTEXT'),
    logLevel: parseLogLevel(pick(values['log-level'], env, 'LOG_LEVEL')),
  };
}

export function parseCleanupConfig(argv: readonly string[], env: Env): CleanupConfig {
  const { values } = parseArgs({
    args: [...argv],
    options: { prefix: { type: 'string' }, registry: { type: 'string' }, region: { type: 'string' }, retention: { type: 'string' } },
    strict: true,
    allowPositionals: false,
  });
  const retention = (pick(values.retention, env, 'MIRROR_RETENTION') ?? 'retain').toLowerCase();
  if (retention !== 'retain' && retention !== 'destroy') throw configError(`--retention must be retain or destroy, got "${retention}"`);
  return { ...target(values, env), retention };
}

export type MirrorCommand = { readonly command: 'mirror'; readonly config: MirrorConfig } | { readonly command: 'cleanup'; readonly config: CleanupConfig };

/** `mirror …` or `mirror cleanup …`. */
export function parseMirrorCommand(argv: readonly string[], env: Env): MirrorCommand {
  return argv[0] === 'cleanup' ? { command: 'cleanup', config: parseCleanupConfig(argv.slice(1), env) } : { command: 'mirror', config: parseMirrorConfig(argv, env) };
}
