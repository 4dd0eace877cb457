// The mirror file (`mirror.yaml`): which charts and images to bring into ECR, and which credentials reach which
// source. Parsed strictly: an unknown key or a wrong type is refused with its path (`charts[1].versoin`), so a typo
// never silently mirrors the wrong thing.
import { parseDocument } from 'yaml';
import { normaliseRegistry, parseImageReference, type ImageReference } from './image-reference.js';

export interface HttpsChartSource {
  readonly kind: 'https';
  /** The chart repository URL (holding index.yaml), without a trailing '/'. */
  readonly repo: string;
  readonly chart: string;
  readonly version: string;
  readonly values: Readonly<Record<string, unknown>>;
  readonly origin: string;
}

export interface OciChartSource {
  readonly kind: 'oci';
  /** The chart as an OCI reference without tag: registry host and repository path (the chart name is its last part). */
  readonly reference: ImageReference;
  readonly chart: string;
  readonly version: string;
  readonly values: Readonly<Record<string, unknown>>;
  readonly origin: string;
}

export type ChartSource = HttpsChartSource | OciChartSource;

export interface ImageSource {
  readonly reference: ImageReference;
  /** The text as written, for messages. */
  readonly written: string;
  readonly origin: string;
}

export type CredentialSource =
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'secret'; readonly namespace: string; readonly name: string };

export interface CredentialRule {
  /** Registry host (port kept), or the host of an https chart repository. */
  readonly registry: string;
  readonly from: CredentialSource;
  /** One named entry of the document, as in the seed's nested secrets. */
  readonly entry: string | undefined;
  readonly origin: string;
}

export interface MirrorFile {
  readonly charts: readonly ChartSource[];
  readonly images: readonly ImageSource[];
  readonly credentials: readonly CredentialRule[];
}

export type MirrorFileResult = { readonly ok: true; readonly file: MirrorFile } | { readonly ok: false; readonly problems: readonly string[] };

type Record_ = Record<string, unknown>;

function isRecord(value: unknown): value is Record_ {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const CHART_NAME = /^[a-z0-9]([a-z0-9._-]*[a-z0-9])?$/i;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

class Problems {
  readonly list: string[] = [];
  add(path: string, message: string): void {
    this.list.push(`${path}: ${message}`);
  }
  unknownKeys(value: Record_, allowed: readonly string[], path: string): void {
    for (const key of Object.keys(value)) if (!allowed.includes(key)) this.add(`${path}.${key}`, `unknown key (allowed: ${allowed.join(', ')})`);
  }
  /** The value as an object with only `allowed` keys, or undefined (and a problem) when it is not an object. */
  object(value: unknown, allowed: readonly string[], path: string, shape: string): Record_ | undefined {
    if (!isRecord(value)) {
      this.add(path, `must be an object ${shape}`);
      return undefined;
    }
    this.unknownKeys(value, allowed, path);
    return value;
  }
  string(value: Record_, key: string, path: string): string | undefined {
    const field = value[key];
    if (typeof field === 'string' && field.trim() !== '') return field.trim();
    // A version written unquoted (1.2) is read as a number by YAML; say so rather than "missing".
    this.add(`${path}.${key}`, field === undefined ? 'is required' : `must be a non-empty string${typeof field === 'number' ? ' (quote it: "' + String(field) + '")' : ''}`);
    return undefined;
  }
}

function parseChart(value: unknown, index: number, problems: Problems): ChartSource | undefined {
  const path = `charts[${index}]`;
  const raw = problems.object(value, ['repo', 'chart', 'version', 'values'], path, '{repo, chart, version, values}');
  if (raw === undefined) return undefined;
  const repo = problems.string(raw, 'repo', path);
  const chart = problems.string(raw, 'chart', path);
  const version = problems.string(raw, 'version', path);
  const values = raw.values ?? {};
  if (!isRecord(values)) problems.add(`${path}.values`, 'must be an object (the values used to render the chart)');
  if (chart !== undefined && !CHART_NAME.test(chart)) problems.add(`${path}.chart`, `"${chart}" is not a chart name`);
  if (repo === undefined || chart === undefined || version === undefined || !isRecord(values) || !CHART_NAME.test(chart)) return undefined;
  const origin = `chart ${chart} (${path})`;
  if (repo.startsWith('oci://')) {
    const parsed = parseImageReference(`${repo.slice('oci://'.length).replace(/\/+$/, '')}/${chart}`, { defaultTag: false });
    if (!parsed.ok || parsed.reference.tag !== undefined || parsed.reference.digest !== undefined) {
      problems.add(`${path}.repo`, `"${repo}" is not an OCI repository (oci://host/path; the chart name is appended, the version is the tag)${parsed.ok ? '' : `: ${parsed.reason}`}`);
      return undefined;
    }
    return { kind: 'oci', reference: parsed.reference, chart, version, values, origin };
  }
  let url: URL;
  try {
    url = new URL(repo);
  } catch {
    problems.add(`${path}.repo`, `"${repo}" is neither an https chart repository URL nor an oci:// reference`);
    return undefined;
  }
  if (url.protocol !== 'https:') {
    problems.add(`${path}.repo`, `"${repo}": chart repositories are reached over https (or give an oci:// reference)`);
    return undefined;
  }
  if (url.username !== '' || url.password !== '') {
    problems.add(`${path}.repo`, 'put no credentials in the URL; use a credentials entry for its host');
    return undefined;
  }
  return { kind: 'https', repo: repo.replace(/\/+$/, ''), chart, version, values, origin };
}

function parseImage(raw: unknown, index: number, problems: Problems): ImageSource | undefined {
  const path = `images[${index}]`;
  if (typeof raw !== 'string') {
    problems.add(path, 'must be an image reference string (registry/path:tag or registry/path@sha256:…)');
    return undefined;
  }
  const parsed = parseImageReference(raw);
  if (!parsed.ok) {
    problems.add(path, `"${raw}" is not an image reference: ${parsed.reason}`);
    return undefined;
  }
  return { reference: parsed.reference, written: raw.trim(), origin: `image ${raw.trim()} (${path})` };
}

function parseCredential(value: unknown, index: number, problems: Problems): CredentialRule | undefined {
  const path = `credentials[${index}]`;
  const raw = problems.object(value, ['registry', 'file', 'secret', 'entry'], path, '{registry, file | secret, entry}');
  if (raw === undefined) return undefined;
  const registry = problems.string(raw, 'registry', path);
  if (registry !== undefined && (registry.includes('/') || registry.includes('://'))) problems.add(`${path}.registry`, 'give the host only (host or host:port), without scheme or path');
  const entry = raw.entry === undefined ? undefined : problems.string(raw, 'entry', path);
  let from: CredentialSource | undefined;
  if ((raw.file === undefined) === (raw.secret === undefined)) {
    problems.add(path, 'give exactly one of file (a JSON or YAML file) or secret ({namespace, name} of a Kubernetes Secret)');
  } else if (raw.file !== undefined) {
    const file = problems.string(raw, 'file', path);
    if (file !== undefined) from = { kind: 'file', path: file };
  } else {
    const secret = problems.object(raw.secret, ['namespace', 'name'], `${path}.secret`, '{namespace, name}');
    const namespace = secret === undefined ? undefined : problems.string(secret, 'namespace', `${path}.secret`);
    const name = secret === undefined ? undefined : problems.string(secret, 'name', `${path}.secret`);
    if (namespace !== undefined && !DNS_LABEL.test(namespace)) problems.add(`${path}.secret.namespace`, `"${namespace}" is not a namespace name`);
    if (name !== undefined && !DNS_SUBDOMAIN.test(name)) problems.add(`${path}.secret.name`, `"${name}" is not a Secret name`);
    if (namespace !== undefined && name !== undefined) from = { kind: 'secret', namespace, name };
  }
  if (registry === undefined || from === undefined) return undefined;
  return { registry: normaliseRegistry(registry), from, entry, origin: path };
}

function listOf(document: Record_, key: string, problems: Problems): unknown[] {
  const value = document[key];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    problems.add(key, 'must be a list');
    return [];
  }
  return value;
}

/** Parses the mirror file's text; every problem is reported at once, each with its path. */
export function parseMirrorFile(text: string): MirrorFileResult {
  const document = parseDocument(text, { uniqueKeys: true });
  if (document.errors.length > 0) return { ok: false, problems: document.errors.map((error) => `not YAML: ${error.message.split('\n')[0] ?? ''}`) };
  const root = document.toJS() as unknown;
  if (!isRecord(root)) return { ok: false, problems: ['the file must be a YAML object with charts: and images: lists'] };
  const problems = new Problems();
  problems.unknownKeys(root, ['charts', 'images', 'credentials'], '');
  const charts = listOf(root, 'charts', problems).map((raw, index) => parseChart(raw, index, problems));
  const images = listOf(root, 'images', problems).map((raw, index) => parseImage(raw, index, problems));
  const credentials = listOf(root, 'credentials', problems).map((raw, index) => parseCredential(raw, index, problems));

  const namesSeen = new Map<string, number>();
  charts.forEach((chart, index) => {
    if (chart === undefined) return;
    const first = namesSeen.get(chart.chart);
    if (first !== undefined) problems.add(`charts[${index}]`, `a chart named ${chart.chart} is already listed at charts[${first}] (replication_result.json is keyed by chart name)`);
    else namesSeen.set(chart.chart, index);
  });
  const registriesSeen = new Map<string, number>();
  credentials.forEach((rule, index) => {
    if (rule === undefined) return;
    const first = registriesSeen.get(rule.registry);
    if (first !== undefined) problems.add(`credentials[${index}].registry`, `${rule.registry} already has credentials at credentials[${first}]`);
    else registriesSeen.set(rule.registry, index);
  });
  if (charts.length === 0 && images.length === 0 && problems.list.length === 0) problems.add('', 'nothing to mirror: charts and images are both empty');

  if (problems.list.length > 0) return { ok: false, problems: problems.list.map((problem) => problem.replace(/^\./, '').replace(/^: /, '')) };
  return {
    ok: true,
    file: {
      charts: charts.filter((chart): chart is ChartSource => chart !== undefined),
      images: images.filter((image): image is ImageSource => image !== undefined),
      credentials: credentials.filter((rule): rule is CredentialRule => rule !== undefined),
    },
  };
}

/** The host a chart is fetched from: the key its credentials are filed under. */
export function chartHost(chart: ChartSource): string {
  return chart.kind === 'oci' ? chart.reference.registry : new URL(chart.repo).host.toLowerCase();
}
