// ECR Public's SDK client, loaded only with the first public token (src/ecr/authorization-apis.ts): its own module
// so that the lazy import is of ours. A bundler gives a dynamically imported CommonJS package (the AWS SDK ships
// CommonJS to Node) only a default export, so `await import('@aws-sdk/client-ecr-public')` would name nothing in
// dist/bundle; a static import here keeps the named exports everywhere.
export { ECRPUBLICClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr-public';
