// Every label and annotation name the product reads or writes, defined once.
// The prefix is the original ECR Anywhere's, so existing manifests keep working unchanged.

export const PREFIX = 'ecr-anywhere.centml.ai';

/** Opt-in label on a Secret: the webhook fills it, the refresher keeps it fresh. */
export const MANAGED_LABEL = `${PREFIX}/managed`;
export const MANAGED_LABEL_VALUE = 'true';

/** Opt-in label on a Namespace: the refresher only looks in enabled namespaces. */
export const NAMESPACE_LABEL = `${PREFIX}/namespace`;
export const NAMESPACE_LABEL_VALUE = 'enabled';

/** RFC 3339 UTC time at which the earliest injected token expires. */
export const EXPIRES_AT_ANNOTATION = `${PREFIX}/expires_at`;
/** RFC 3339 UTC time of the last credential injection. */
export const UPDATED_AT_ANNOTATION = `${PREFIX}/updated_at`;
/** Bumped by the refresher: any write makes the API server call the webhook. */
export const MARKED_FOR_UPDATE_AT_ANNOTATION = `${PREFIX}/marked_for_update_at`;
/** Comma-separated ECR registry hosts; absent means the default registry of AWS_REGION. */
export const REGISTRIES_ANNOTATION = `${PREFIX}/registries`;
/** Written by the webhook: the registry hosts whose auths entries it wrote, so it removes only its own entries. */
export const MANAGED_REGISTRIES_ANNOTATION = `${PREFIX}/managed-registries`;

/** On a Namespace (admin-owned): comma-separated registry host patterns its Secrets may name. */
export const ALLOWED_REGISTRIES_ANNOTATION = `${PREFIX}/allowed-registries`;
/** On a Namespace (admin-owned): the IAM role whose credentials serve its Secrets. */
export const ROLE_ARN_ANNOTATION = `${PREFIX}/role-arn`;
/** On a Namespace (admin-owned): the external id the role's trust policy asks for. */
export const ROLE_EXTERNAL_ID_ANNOTATION = `${PREFIX}/role-external-id`;

export const WEBHOOK_NAME = PREFIX;
export const WEBHOOK_PATH = '/sync';
/** The opt-in second entry: ServiceAccounts being created get the pull Secret in their imagePullSecrets. */
export const SERVICE_ACCOUNT_WEBHOOK_NAME = `serviceaccounts.${PREFIX}`;
export const SERVICE_ACCOUNT_WEBHOOK_PATH = '/mutate-serviceaccounts';

/** Namespaces the product never mutates, whatever their labels say. */
export const PROTECTED_NAMESPACES: ReadonlySet<string> = new Set(['kube-system', 'kube-public']);

export const DOCKER_CONFIG_JSON_TYPE = 'kubernetes.io/dockerconfigjson';
export const DOCKER_CONFIG_JSON_KEY = '.dockerconfigjson';

/** The username ECR tokens are issued for. */
export const ECR_USERNAME = 'AWS';

/** ECR Public's one registry host: a registries-annotation entry whose token comes from ECR Public (us-east-1). */
export const ECR_PUBLIC_HOST = 'public.ecr.aws';

/** Argo CD's label on its repository Secrets; with ours, such an Opaque Secret gets `username`/`password` keys. */
export const ARGOCD_SECRET_TYPE_LABEL = 'argocd.argoproj.io/secret-type';
/** A single repository (`repository`) or credentials for every repository under a URL prefix (`repo-creds`). */
export const ARGOCD_REPOSITORY_SECRET_TYPES: ReadonlySet<string> = new Set(['repository', 'repo-creds']);
/** Keys of an Argo CD repository Secret: the one we read, and the two we write. */
export const ARGOCD_URL_KEY = 'url';
export const ARGOCD_USERNAME_KEY = 'username';
export const ARGOCD_PASSWORD_KEY = 'password';
export const OPAQUE_TYPE = 'Opaque';

export const MANAGED_SELECTOR = `${MANAGED_LABEL}=${MANAGED_LABEL_VALUE}`;
export const ENABLED_NAMESPACE_SELECTOR = `${NAMESPACE_LABEL}=${NAMESPACE_LABEL_VALUE}`;

/** RFC 6901 escaping of one JSON-pointer segment: `~` → `~0`, then `/` → `~1`. */
export function escapePointerSegment(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}
