// The Helm adapter: pulls, inspects and renders charts with the real `helm` binary (the tool the seed uses, and
// the one users install charts with, so what we render is what they would). Helm runs with its own config, cache
// and registry-login files in a private directory: the user's Helm setup is neither read nor changed, and source
// passwords reach helm on stdin only (never on a command line others could read in `ps`). Helm trusts a private CA
// through SSL_CERT_FILE, which it inherits.
import { spawn } from 'node:child_process';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { BasicCredentials } from './credentials.js';
import { formatReference } from './image-reference.js';
import type { ChartSource } from './mirror-file.js';

export interface HelmResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export class HelmFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HelmFailure';
  }
}

const TIMEOUT_MS = 120_000;

function lastLines(text: string): string {
  return text.trim().split('\n').slice(-3).join(' | ').slice(0, 500);
}

export class Helm {
  private readonly env: NodeJS.ProcessEnv;
  private repositories = 0;

  constructor(
    private readonly binary: string,
    private readonly home: string,
  ) {
    this.env = {
      ...process.env,
      HELM_CACHE_HOME: join(home, 'cache'),
      HELM_CONFIG_HOME: join(home, 'config'),
      HELM_DATA_HOME: join(home, 'data'),
      HELM_REGISTRY_CONFIG: join(home, 'registry.json'),
      HELM_REPOSITORY_CONFIG: join(home, 'repositories.yaml'),
      HELM_REPOSITORY_CACHE: join(home, 'repository-cache'),
    };
  }

  run(args: readonly string[], input?: string): Promise<HelmResult> {
    return new Promise((resolve, reject) => {
      const child = spawn(this.binary, [...args], { env: this.env, stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      const timer = setTimeout(() => child.kill('SIGKILL'), TIMEOUT_MS);
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      child.on('error', (error) => {
        clearTimeout(timer);
        reject(new HelmFailure(`helm could not run (${this.binary}): ${error.message}; install helm or give --helm PATH`));
      });
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code: code ?? 1, stdout, stderr });
      });
      child.stdin.end(input ?? '');
    });
  }

  private async must(args: readonly string[], what: string, input?: string): Promise<string> {
    const result = await this.run(args, input);
    if (result.code !== 0) throw new HelmFailure(`${what}: helm ${args[0] ?? ''} exited ${result.code}: ${lastLines(result.stderr || result.stdout)}`);
    return result.stdout;
  }

  /** Pulls the chart archive into `directory` and returns its path. */
  async pull(chart: ChartSource, credentials: BasicCredentials | undefined, directory: string): Promise<string> {
    await mkdir(directory, { recursive: true });
    const what = `pulling ${chart.origin}`;
    let args: string[];
    if (chart.kind === 'oci') {
      if (credentials !== undefined) {
        await this.must(['registry', 'login', chart.reference.registry, '--username', credentials.username, '--password-stdin'], what, credentials.password);
      }
      args = ['pull', `oci://${formatReference(chart.reference)}`, '--version', chart.version, '--destination', directory];
    } else if (credentials !== undefined) {
      // An https repository with basic auth: a private repository entry, its password given on stdin.
      this.repositories += 1;
      const alias = `mirror-${this.repositories}`;
      await this.must(['repo', 'add', alias, chart.repo, '--username', credentials.username, '--password-stdin', '--force-update'], what, credentials.password);
      args = ['pull', `${alias}/${chart.chart}`, '--version', chart.version, '--destination', directory];
    } else {
      args = ['pull', chart.chart, '--repo', chart.repo, '--version', chart.version, '--destination', directory];
    }
    await this.must(args, what);
    const archives = (await readdir(directory)).filter((name) => name.endsWith('.tgz'));
    if (archives.length !== 1) throw new HelmFailure(`${what}: expected one chart archive, helm wrote ${archives.length}`);
    return join(directory, archives[0] ?? '');
  }

  /** Chart.yaml of the archive, parsed. */
  async metadata(archive: string): Promise<Record<string, unknown>> {
    return (parse(await this.must(['show', 'chart', archive], `reading ${archive}`)) as Record<string, unknown> | null) ?? {};
  }

  /** The chart's default values. */
  async defaultValues(archive: string): Promise<Record<string, unknown>> {
    const text = await this.must(['show', 'values', archive], `reading the values of ${archive}`);
    const parsed = parse(text) as unknown;
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  }

  /** `helm template` of the archive with `values`; rejects with helm's own reason when the chart does not render. */
  async template(archive: string, release: string, values: Readonly<Record<string, unknown>>, valuesFile: string): Promise<string> {
    await writeFile(valuesFile, JSON.stringify(values), { mode: 0o600 });
    return this.must(['template', release, archive, '--values', valuesFile], `rendering ${release}`);
  }
}
