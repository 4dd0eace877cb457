// Which managed Secrets the webhook fills, decided in one place for the webhook (which fills them) and the refresher
// (which keeps them fresh): a `kubernetes.io/dockerconfigjson` pull Secret, or an Opaque Argo CD repository Secret
// (`argocd.argoproj.io/secret-type: repository` or `repo-creds`). Any other type, and Opaque without that label,
// is refused by the webhook and reported as skipped by the refresher.
import { ARGOCD_REPOSITORY_SECRET_TYPES, ARGOCD_SECRET_TYPE_LABEL, DOCKER_CONFIG_JSON_TYPE, OPAQUE_TYPE } from './names.js';

export type FillableShape = 'dockerconfigjson' | 'argocd-repository';

/** The shape of a managed Secret the webhook fills, or undefined. A missing type is Opaque (the API server's default). */
export function fillableShape(type: string | undefined, labels: Readonly<Record<string, string>> | undefined): FillableShape | undefined {
  const effective = type ?? OPAQUE_TYPE;
  if (effective === DOCKER_CONFIG_JSON_TYPE) return 'dockerconfigjson';
  if (effective === OPAQUE_TYPE && ARGOCD_REPOSITORY_SECRET_TYPES.has(labels?.[ARGOCD_SECRET_TYPE_LABEL] ?? '')) return 'argocd-repository';
  return undefined;
}
