// Which images a rendered chart would make a cluster pull: every container list of the workload kinds, and the
// image fields of custom resources that charts commonly render (operators' CRs hold `image: <ref>`, `<x>Image:
// <ref>`, or `image: {registry, repository, tag}`).
import { parseAllDocuments } from 'yaml';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const CONTAINER_LISTS = ['containers', 'initContainers', 'ephemeralContainers'] as const;

/** Path from the object to its pod spec, per workload kind (core API groups only). */
const POD_SPEC_PATHS: Readonly<Record<string, readonly string[]>> = {
  Pod: ['spec'],
  PodTemplate: ['template', 'spec'],
  Deployment: ['spec', 'template', 'spec'],
  StatefulSet: ['spec', 'template', 'spec'],
  DaemonSet: ['spec', 'template', 'spec'],
  ReplicaSet: ['spec', 'template', 'spec'],
  ReplicationController: ['spec', 'template', 'spec'],
  Job: ['spec', 'template', 'spec'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
};
const CORE_GROUPS = new Set(['v1', 'apps/v1', 'batch/v1', 'batch/v1beta1', 'extensions/v1beta1', 'apps/v1beta1', 'apps/v1beta2']);

/** Kinds that hold no images whatever their fields say (their `image`-named keys are not pulls). */
const NO_IMAGE_KINDS = new Set(['ConfigMap', 'Secret', 'CustomResourceDefinition', 'Service', 'ServiceAccount', 'Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding', 'Namespace', 'NetworkPolicy']);

export interface FoundImage {
  /** The reference as the manifest writes it. */
  readonly reference: string;
  /** `Kind/name` and where in it, for messages: `Deployment/web containers[0]`. */
  readonly where: string;
}

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function at(value: Json | undefined, path: readonly string[]): Json | undefined {
  let current = value;
  for (const key of path) current = isObject(current) ? current[key] : undefined;
  return current;
}

function containerImages(podSpec: Json | undefined, label: string): FoundImage[] {
  const found: FoundImage[] = [];
  for (const list of CONTAINER_LISTS) {
    const containers = at(podSpec, [list]);
    if (!Array.isArray(containers)) continue;
    containers.forEach((container, index) => {
      const image = at(container, ['image']);
      if (typeof image === 'string' && image.trim() !== '') found.push({ reference: image.trim(), where: `${label} ${list}[${index}]` });
    });
  }
  return found;
}

/** `{registry?, repository, tag?, digest?}` written as one reference, or undefined when it is not that shape. */
function referenceOfImageObject(value: JsonObject): string | undefined {
  const { registry, repository, tag, digest } = value;
  if (typeof repository !== 'string' || repository === '') return undefined;
  let reference = typeof registry === 'string' && registry !== '' ? `${registry}/${repository}` : repository;
  if (typeof tag === 'string' && tag !== '') reference += `:${tag}`;
  if (typeof digest === 'string' && digest !== '') reference += `@${digest}`;
  return reference;
}

function isImageKey(key: string): boolean {
  return key === 'image' || /[a-z]Image$/.test(key);
}

/** Walks a custom resource for image fields; bounded by the document itself (no cycles in parsed YAML). */
function customResourceImages(value: Json, label: string, path: string, found: FoundImage[]): void {
  if (Array.isArray(value)) {
    value.forEach((item, index) => customResourceImages(item, label, `${path}[${index}]`, found));
    return;
  }
  if (!isObject(value)) return;
  for (const [key, child] of Object.entries(value)) {
    const childPath = path === '' ? key : `${path}.${key}`;
    if (isImageKey(key) && typeof child === 'string' && child.trim() !== '') {
      found.push({ reference: child.trim(), where: `${label} ${childPath}` });
    } else if (isImageKey(key) && isObject(child) && referenceOfImageObject(child) !== undefined) {
      found.push({ reference: referenceOfImageObject(child) ?? '', where: `${label} ${childPath}` });
    } else {
      customResourceImages(child, label, childPath, found);
    }
  }
}

/** Images of one parsed Kubernetes object. */
export function imagesOfObject(object: Json): FoundImage[] {
  if (!isObject(object)) return [];
  const kind = typeof object.kind === 'string' ? object.kind : '';
  const apiVersion = typeof object.apiVersion === 'string' ? object.apiVersion : '';
  const metadataName = at(object, ['metadata', 'name']);
  const name = typeof metadataName === 'string' ? metadataName : '';
  const label = `${kind}/${name}`;
  if (kind === 'List' && Array.isArray(object.items)) return object.items.flatMap((item) => imagesOfObject(item));
  const podSpecPath = POD_SPEC_PATHS[kind];
  if (podSpecPath !== undefined && CORE_GROUPS.has(apiVersion)) return containerImages(at(object, podSpecPath), label);
  if (NO_IMAGE_KINDS.has(kind) || kind === '') return [];
  const found: FoundImage[] = [];
  customResourceImages(object.spec ?? null, label, 'spec', found);
  return found;
}

/** Images of a rendered multi-document YAML stream (`helm template` output); throws when the YAML does not parse. */
export function imagesOfManifests(rendered: string): FoundImage[] {
  const found: FoundImage[] = [];
  for (const document of parseAllDocuments(rendered)) {
    if (document.errors.length > 0) throw new Error(`the rendered manifests are not YAML: ${document.errors[0]?.message ?? ''}`);
    found.push(...imagesOfObject(document.toJS() as Json));
  }
  return found;
}
