// AdmissionReview fixtures shaped like the API server sends them; each call returns a fresh object.
import { randomUUID } from 'node:crypto';
import { ARGOCD_SECRET_TYPE_LABEL, DOCKER_CONFIG_JSON_TYPE, MANAGED_LABEL } from '../src/common/names.js';
import type { SecretObject } from '../src/admission/review.js';
import type { AdmissionReview } from '../src/http/review-envelope.js';

export interface SecretSpec {
  namespace?: string;
  name?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  type?: string | null;
  data?: Record<string, string> | null;
}

export function managedSecret(spec: SecretSpec = {}): SecretObject {
  const secret: SecretObject = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: spec.name ?? 'ecr-secret',
      namespace: spec.namespace ?? 'team-a',
      labels: spec.labels ?? { [MANAGED_LABEL]: 'true' },
      ...(spec.annotations ? { annotations: spec.annotations } : {}),
    },
  };
  if (spec.type !== null) secret.type = spec.type ?? DOCKER_CONFIG_JSON_TYPE;
  if (spec.data !== null) secret.data = spec.data ?? { '.dockerconfigjson': Buffer.from('FAKE').toString('base64') };
  return secret;
}

/** An Argo CD OCI Helm repository Secret as its docs show it, labeled managed; `url` as given (not base64). */
export function argoCdRepositorySecret(url: string, spec: Omit<SecretSpec, 'data' | 'type'> & { readonly secretType?: string; readonly extraData?: Record<string, string> } = {}): SecretObject {
  const base64 = (text: string): string => Buffer.from(text).toString('base64');
  const data: Record<string, string> = { url: base64(url), type: base64('helm'), enableOCI: base64('true'), name: base64('charts'), ...spec.extraData };
  return managedSecret({
    ...spec,
    labels: spec.labels ?? { [MANAGED_LABEL]: 'true', [ARGOCD_SECRET_TYPE_LABEL]: spec.secretType ?? 'repository' },
    type: 'Opaque',
    data,
  });
}

export function secretReview(
  object: SecretObject | null,
  options: { operation?: string; oldObject?: SecretObject; uid?: string; dryRun?: boolean } = {},
): AdmissionReview {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: options.uid ?? randomUUID(),
      kind: { group: '', version: 'v1', kind: 'Secret' },
      resource: { group: '', version: 'v1', resource: 'secrets' },
      operation: options.operation ?? 'CREATE',
      namespace: object?.metadata?.namespace ?? 'team-a',
      name: object?.metadata?.name ?? 'ecr-secret',
      object,
      oldObject: options.oldObject ?? null,
      dryRun: options.dryRun ?? false,
    },
  };
}

export function decodeDockerConfigOf(secret: SecretObject): { auths: Record<string, { username: string; password: string; auth: string }> } & Record<string, unknown> {
  return JSON.parse(Buffer.from(secret.data?.['.dockerconfigjson'] ?? '', 'base64').toString('utf8')) as never;
}
