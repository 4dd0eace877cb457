// Runs the real helm (`.tools/bin/helm`, made by `npm run tools`) on the chart and parses what it renders, so chart
// tests assert on Kubernetes objects rather than on text.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT, toolPath } from './tools.js';

export const CHART_DIR = join(REPO_ROOT, 'chart');
export const RELEASE = 'ecr-anywhere';
export const RELEASE_NAMESPACE = 'ecr-anywhere-system';
/** The smallest values a user must give. */
export const MINIMAL_VALUES = { aws: { region: 'us-east-1' } } as const;

/** A rendered Kubernetes object; tests narrow what they read with the `at` helper. */
export interface KubeObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly labels?: Record<string, string>; readonly annotations?: Record<string, string> };
  readonly [key: string]: unknown;
}

export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a tool and resolves with its exit code and output whatever the code (tests check failures too). */
export function runTool(tool: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number; input?: string } = {}): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      toolPath(tool),
      [...args],
      { env: options.env ?? process.env, timeout: options.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') {
          const hint = (error as NodeJS.ErrnoException).code === 'ENOENT' ? ` (${tool} not found: run 'npm run tools')` : '';
          reject(new Error(`${tool} ${args.join(' ')} could not run${hint}: ${error.message}\n${stderr}`));
          return;
        }
        resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** Runs a tool and returns stdout; a non-zero exit rejects with the tool's stderr. */
export async function mustRun(tool: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number; input?: string } = {}): Promise<string> {
  const result = await runTool(tool, args, options);
  if (result.code !== 0) throw new Error(`${tool} ${args.join(' ')} exited ${result.code}:\n${result.stderr}${result.stdout}`);
  return result.stdout;
}

/** Writes `values` to a temporary file (JSON is YAML) and hands its path to `use`. */
export async function withValuesFile<T>(values: unknown, use: (file: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'ecr-anywhere-values-'));
  try {
    const file = join(dir, 'values.yaml');
    await writeFile(file, JSON.stringify(values));
    return await use(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export interface TemplateOptions {
  readonly release?: string;
  readonly namespace?: string;
  /** The Kubernetes version helm assumes (`--kube-version`); fixed so renders do not depend on how helm was built. */
  readonly kubeVersion?: string;
  /** Extra helm arguments, e.g. ['--api-versions', 'monitoring.coreos.com/v1']. */
  readonly extraArgs?: readonly string[];
}

/** `helm template` with `values`; resolves with the exit code and output, failures included. */
export function helmTemplate(values: unknown, options: TemplateOptions = {}): Promise<CommandResult> {
  return withValuesFile(values, (file) =>
    runTool('helm', [
      'template',
      options.release ?? RELEASE,
      CHART_DIR,
      '--namespace',
      options.namespace ?? RELEASE_NAMESPACE,
      '--kube-version',
      options.kubeVersion ?? '1.32.0',
      '--values',
      file,
      ...(options.extraArgs ?? []),
    ]),
  );
}

/** Parses a multi-document YAML stream into objects, skipping empty documents. */
export function parseObjects(text: string): KubeObject[] {
  return parseAllDocuments(text).flatMap((document) => {
    if (document.errors.length > 0) throw new Error(`rendered YAML does not parse: ${document.errors.map((e) => e.message).join('; ')}`);
    const object = document.toJS() as KubeObject | null;
    return object === null ? [] : [object];
  });
}

/** Renders the chart and parses the objects; a failed render rejects with helm's message. */
export async function renderChart(values: unknown, options: TemplateOptions = {}): Promise<KubeObject[]> {
  const result = await helmTemplate(values, options);
  if (result.code !== 0) throw new Error(`helm template failed (${result.code}):\n${result.stderr}`);
  return parseObjects(result.stdout);
}

/** The only object of `kind` (optionally whose name ends with `nameSuffix`); throws when there is not exactly one. */
export function only(objects: readonly KubeObject[], kind: string, nameSuffix = ''): KubeObject {
  const found = objects.filter((o) => o.kind === kind && o.metadata.name.endsWith(nameSuffix));
  if (found.length !== 1) throw new Error(`expected one ${kind}${nameSuffix ? ` named *${nameSuffix}` : ''}, found ${found.length}: ${found.map((o) => o.metadata.name).join(', ')}`);
  return found[0] as KubeObject;
}

export function ofKind(objects: readonly KubeObject[], kind: string): KubeObject[] {
  return objects.filter((o) => o.kind === kind);
}

/** Reads a nested field by path (`at(deployment, 'spec', 'template', 'spec')`), typed by the caller. */
export function at<T = unknown>(value: unknown, ...path: Array<string | number>): T {
  let current: unknown = value;
  for (const key of path) {
    if (current === null || typeof current !== 'object') throw new Error(`no ${path.join('.')} (stopped at ${String(key)})`);
    current = (current as Record<string | number, unknown>)[key];
  }
  return current as T;
}

export interface Container {
  readonly name: string;
  readonly args?: string[];
  readonly env?: Array<{ name: string; value?: string; valueFrom?: Record<string, unknown> }>;
  readonly volumeMounts?: Array<{ name: string; mountPath: string; readOnly?: boolean }>;
  readonly securityContext?: Record<string, unknown>;
  readonly [key: string]: unknown;
}

export interface PodSpec {
  readonly containers: Container[];
  readonly volumes?: Array<{ name: string; [key: string]: unknown }>;
  readonly [key: string]: unknown;
}

/** The pod template of a Deployment or CronJob. */
export function podTemplate(workload: KubeObject): { metadata: { labels: Record<string, string>; annotations?: Record<string, string> }; spec: PodSpec } {
  return workload.kind === 'CronJob' ? at(workload, 'spec', 'jobTemplate', 'spec', 'template') : at(workload, 'spec', 'template');
}

/** name → value (or valueFrom) of a container's environment. */
export function envOf(container: Container): Map<string, string | Record<string, unknown>> {
  return new Map((container.env ?? []).map((e) => [e.name, e.value ?? e.valueFrom ?? '']));
}

/** helm and kubectl against one cluster, with helm's config, cache and registry logins kept in a private directory. */
export interface ClusterTools {
  readonly env: NodeJS.ProcessEnv;
  readonly home: string;
  helm(args: readonly string[], options?: { timeoutMs?: number; input?: string }): Promise<CommandResult>;
  kubectl(args: readonly string[], options?: { timeoutMs?: number; input?: string }): Promise<CommandResult>;
  close(): Promise<void>;
}

export async function clusterTools(kubeconfig: string): Promise<ClusterTools> {
  const home = await mkdtemp(join(tmpdir(), 'ecr-anywhere-helm-home-'));
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: home,
    KUBECONFIG: kubeconfig,
    HELM_CACHE_HOME: join(home, 'cache'),
    HELM_CONFIG_HOME: join(home, 'config'),
    HELM_DATA_HOME: join(home, 'data'),
  };
  return {
    env,
    home,
    helm: (args, options = {}) => runTool('helm', args, { env, timeoutMs: options.timeoutMs ?? 120_000, input: options.input }),
    kubectl: (args, options = {}) => runTool('kubectl', ['--request-timeout=30s', ...args], { env, timeoutMs: options.timeoutMs ?? 60_000, input: options.input }),
    close: () => rm(home, { recursive: true, force: true }),
  };
}

/** Lines of a command's stderr that are API warnings (deprecations, Pod Security, unknown fields...). */
export function apiWarnings(stderr: string): string[] {
  return stderr.split('\n').filter((line) => /warning/i.test(line));
}

/** A namespace enforcing (and warning about) Pod Security "restricted" at the latest version. */
export const RESTRICTED_NAMESPACE_LABELS: Readonly<Record<string, string>> = {
  'pod-security.kubernetes.io/enforce': 'restricted',
  'pod-security.kubernetes.io/enforce-version': 'latest',
  'pod-security.kubernetes.io/warn': 'restricted',
  'pod-security.kubernetes.io/warn-version': 'latest',
};

/**
 * The environment the kubelet would give a workload's first container: plain values, the downward API's
 * metadata.namespace, and Secret references read from the cluster.
 */
export async function kubeletEnv(
  workload: KubeObject,
  namespace: string,
  readSecret: (name: string) => Promise<Record<string, string> | undefined>,
): Promise<Record<string, string>> {
  const env: Record<string, string> = {};
  for (const [name, value] of envOf(podTemplate(workload).spec.containers[0]!)) {
    if (typeof value === 'string') env[name] = value;
    else if ('fieldRef' in value) {
      if (at(value, 'fieldRef', 'fieldPath') !== 'metadata.namespace') throw new Error(`${name}: only fieldRef metadata.namespace is resolved`);
      env[name] = namespace;
    } else {
      const ref = at<{ name: string; key: string }>(value, 'secretKeyRef');
      env[name] = Buffer.from((await readSecret(ref.name))?.[ref.key] ?? '', 'base64').toString('utf8');
    }
  }
  return env;
}
