// The STS client, loaded only with the first AssumeRole (src/ecr/role-credentials.ts): its own module so that the
// lazy import is of ours (see ecr-public-sdk.ts: a bundled dynamic import of a CommonJS package names nothing).
export { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
