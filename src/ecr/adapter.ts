// The only importer of the ECR SDK. Credentials come from the SDK's standard provider chain (static keys, web
// identity, profiles with role_arn or credential_process); endpoints from the standard AWS_ENDPOINT_URL_* variables.
// The chain is taken from @aws-sdk/credential-provider-node, the package the ECR client itself uses by default:
// @aws-sdk/credential-providers re-exports the same function but loads every other provider with it (Cognito, SSO
// clients…), ~9 MiB the webhook never uses.
import { ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { EcrAnywhereError, ErrorCodes } from '../common/errors.js';
import { hostOfProxyEndpoint } from './registry-host.js';
import type { EcrToken, FetchEcrToken } from './token.js';

export interface EcrAdapterOptions {
  /** Whole budget for one token fetch, retries included: an admission must be answered well inside 10 s. */
  readonly timeoutMs: number;
  /** SDK attempts per fetch (1 = no retry). */
  readonly maxAttempts: number;
  /** Called once per fetch with its outcome, for metrics. */
  readonly onResult?: (region: string, outcome: 'success' | EcrOutcome) => void;
}

export type EcrOutcome = 'refused' | 'throttled' | 'timeout' | 'unavailable';

const REFUSALS = new Set([
  'AccessDeniedException',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'ExpiredTokenException',
  'InvalidClientTokenId',
  'CredentialsProviderError',
]);
const THROTTLES = new Set(['ThrottlingException', 'TooManyRequestsException', 'LimitExceededException', 'RequestLimitExceeded']);
const TIMEOUTS = new Set(['AbortError', 'TimeoutError', 'RequestTimeout', 'RequestTimeoutException']);

function classify(error: unknown): EcrOutcome {
  const name = error instanceof Error ? error.name : '';
  if (REFUSALS.has(name)) return 'refused';
  if (THROTTLES.has(name)) return 'throttled';
  if (TIMEOUTS.has(name)) return 'timeout';
  return 'unavailable';
}

const SPEC_OF: Record<EcrOutcome, (typeof ErrorCodes)[keyof typeof ErrorCodes]> = {
  refused: ErrorCodes.ECR_REFUSED,
  throttled: ErrorCodes.ECR_THROTTLED,
  timeout: ErrorCodes.ECR_TIMEOUT,
  unavailable: ErrorCodes.ECR_UNAVAILABLE,
};

const VERB_OF: Record<EcrOutcome, string> = {
  refused: 'was refused',
  throttled: 'was throttled',
  timeout: 'timed out',
  unavailable: 'failed',
};

/** What each outcome means, in our words: the SDK's own message is not echoed (it can name ARNs and policies). */
const REASON_OF: Record<Exclude<EcrOutcome, 'timeout'>, string> = {
  refused: "the webhook's AWS credentials were not accepted or may not call it",
  throttled: 'AWS asked to slow down',
  unavailable: 'ECR could not be reached or gave an unusable answer',
};

/** The SDK's error code (`AccessDeniedException`, `ECONNREFUSED`, ...) when it is a plain identifier. */
function sdkCode(error: unknown): string {
  const named = error instanceof Error ? error.name : '';
  const code = named !== '' && named !== 'Error' ? named : (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && /^[A-Za-z][\w.:-]{0,63}$/.test(code) ? code : 'UnknownError';
}

/** Maps any SDK failure to our error type: the SDK's error code and a short reason of ours, nothing more. */
export function toEcrError(error: unknown, region: string, timeoutMs: number): EcrAnywhereError {
  const outcome = classify(error);
  const detail = outcome === 'timeout' ? `no answer within ${timeoutMs} ms` : `${sdkCode(error)}: ${REASON_OF[outcome]}`;
  return new EcrAnywhereError(SPEC_OF[outcome], `ECR GetAuthorizationToken in region ${region} ${VERB_OF[outcome]} (${detail})`);
}

function decodePassword(authorizationToken: string): string {
  const decoded = Buffer.from(authorizationToken, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon === -1 ? '' : decoded.slice(colon + 1);
}

export function createEcrTokenFetcher(options: EcrAdapterOptions): FetchEcrToken {
  // One provider for every regional client, so an assumed role or web-identity exchange is cached once.
  const credentials = defaultProvider();
  const clients = new Map<string, ECRClient>();
  const attemptTimeoutMs = Math.max(500, Math.floor(options.timeoutMs / Math.max(1, options.maxAttempts)));

  const clientFor = (region: string): ECRClient => {
    let client = clients.get(region);
    if (!client) {
      client = new ECRClient({
        region,
        credentials,
        maxAttempts: options.maxAttempts,
        requestHandler: { connectionTimeout: Math.min(2_000, attemptTimeoutMs), requestTimeout: attemptTimeoutMs },
      });
      clients.set(region, client);
    }
    return client;
  };

  return async (region: string): Promise<EcrToken> => {
    try {
      const output = await clientFor(region).send(new GetAuthorizationTokenCommand({}), {
        abortSignal: AbortSignal.timeout(options.timeoutMs),
      });
      const data = output.authorizationData?.[0];
      const password = decodePassword(data?.authorizationToken ?? '');
      if (!data?.proxyEndpoint || !data.expiresAt || password === '') {
        throw Object.assign(new Error('the answer held no usable authorization data'), { name: 'MalformedResponse' });
      }
      options.onResult?.(region, 'success');
      return { region, password, proxyHost: hostOfProxyEndpoint(data.proxyEndpoint), expiresAt: new Date(data.expiresAt) };
    } catch (error) {
      const mapped = toEcrError(error, region, options.timeoutMs);
      options.onResult?.(region, classify(error));
      throw mapped;
    }
  };
}
