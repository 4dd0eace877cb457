// The peers migrate knows and the fixed names they use. Imports nothing, so the CLI's option parsing stays light.

export const PEERS = ['kubeecr', 'eatr', 'k8s-ecr-login-renew', 'registry-creds'] as const;
export type Peer = (typeof PEERS)[number];

export function isPeer(value: string): value is Peer {
  return (PEERS as readonly string[]).includes(value);
}

/** KubeECR's annotation: `<account>/<region>`. */
export const KUBEECR_ANNOTATION = 'deft.com/kubeecr';
/** k8s-ecr-login-renew's DOCKER_SECRET_NAME default. */
export const LOGIN_RENEW_DEFAULT_SECRET_NAME = 'k8s-ecr-login-renew-docker-secret';
/** registry-creds' fixed Secret name for ECR. */
export const REGISTRY_CREDS_SECRET_NAME = 'awsecr-cred';
