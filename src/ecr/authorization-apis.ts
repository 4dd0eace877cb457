// GetAuthorizationToken of the two services that issue registry tokens, behind one shape: ECR (per region, one
// token for every private registry the identity may read there) and ECR Public (always us-east-1, one token for
// public.ecr.aws). ECR Public speaks AWS JSON 1.1 too (target prefix `SpencerFrontendService`, signing name
// `ecr-public`) and is reached through the SDK's standard AWS_ENDPOINT_URL_ECR_PUBLIC, as ECR is through
// AWS_ENDPOINT_URL_ECR. Its answer has one authorizationData (not a list) and no proxyEndpoint. Its SDK client is
// loaded with the first public token asked for: most webhooks never ask, and loading it costs ~16 MiB.
import { ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import type { ECRPUBLICClient } from '@aws-sdk/client-ecr-public';
import { ECR_PUBLIC_HOST } from '../common/names.js';
import { ECR_PUBLIC_REGION } from './registry-host.js';
import type { AwsCredentialIdentity } from './role-credentials.js';

export interface AuthorizationData {
  readonly authorizationToken?: string | undefined;
  readonly expiresAt?: Date | undefined;
  /** `https://<host>` of the registry the token is for. */
  readonly proxyEndpoint?: string | undefined;
}

/** One client signing with one identity, for one token scope. */
export interface AuthorizationApi {
  getAuthorizationToken(abortSignal: AbortSignal): Promise<AuthorizationData | undefined>;
  /** AWS's Date header on the last answer: how far its clock is from ours (the SDK does not hand headers to callers). */
  serverDate(): string | undefined;
  destroy(): void;
}

export interface ClientSettings {
  readonly maxAttempts: number;
  readonly requestHandler: { readonly connectionTimeout: number; readonly requestTimeout: number };
}

/** Whether a token scope is ECR Public's (the others are regions). */
export function isEcrPublicScope(scope: string): boolean {
  return scope === ECR_PUBLIC_HOST;
}

interface DateReadingClient {
  readonly middlewareStack: { add(middleware: unknown, options: { step: 'deserialize'; name: string }): void };
}

/** Remembers the Date header of every answer the client deserializes. */
function readServerDates(client: DateReadingClient): () => string | undefined {
  let serverDate: string | undefined;
  client.middlewareStack.add(
    (next: (args: unknown) => Promise<{ response: unknown }>) => async (args: unknown) => {
      const result = await next(args);
      serverDate = (result.response as { headers?: Record<string, string> }).headers?.date;
      return result;
    },
    { step: 'deserialize', name: 'ecrAnywhereServerDate' },
  );
  return () => serverDate;
}

function privateApi(region: string, credentials: AwsCredentialIdentity, settings: ClientSettings): AuthorizationApi {
  const client = new ECRClient({ region, credentials, ...settings });
  const serverDate = readServerDates(client);
  return {
    getAuthorizationToken: async (abortSignal) => (await client.send(new GetAuthorizationTokenCommand({}), { abortSignal })).authorizationData?.[0],
    serverDate,
    destroy: () => client.destroy(),
  };
}

function publicApi(credentials: AwsCredentialIdentity, settings: ClientSettings): AuthorizationApi {
  let sdk: Promise<typeof import('./ecr-public-sdk.js')> | undefined;
  let client: ECRPUBLICClient | undefined;
  let serverDate: () => string | undefined = () => undefined;
  return {
    getAuthorizationToken: async (abortSignal) => {
      const { ECRPUBLICClient, GetAuthorizationTokenCommand } = await (sdk ??= import('./ecr-public-sdk.js'));
      if (client === undefined) {
        client = new ECRPUBLICClient({ region: ECR_PUBLIC_REGION, credentials, ...settings });
        serverDate = readServerDates(client);
      }
      const data = (await client.send(new GetAuthorizationTokenCommand({}), { abortSignal })).authorizationData;
      return data === undefined ? undefined : { ...data, proxyEndpoint: `https://${ECR_PUBLIC_HOST}` };
    },
    serverDate: () => serverDate(),
    destroy: () => client?.destroy(),
  };
}

/** The API that issues the token of `scope`: ECR Public for `public.ecr.aws`, else ECR in that region. */
export function authorizationApiFor(scope: string, credentials: AwsCredentialIdentity, settings: ClientSettings): AuthorizationApi {
  return isEcrPublicScope(scope) ? publicApi(credentials, settings) : privateApi(scope, credentials, settings);
}
