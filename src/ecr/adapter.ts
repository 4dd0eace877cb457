// The only importer of the ECR SDK. Credentials come from the SDK's standard provider chain (static keys, web
// identity, profiles with role_arn or credential_process); endpoints from the standard AWS_ENDPOINT_URL_* variables.
// The chain is taken from @aws-sdk/credential-provider-node, the package the ECR client itself uses by default:
// @aws-sdk/credential-providers re-exports the same function but loads every other provider with it (Cognito, SSO
// clients…), ~9 MiB the webhook never uses.
// Temporary credentials end: each fetch first makes sure the session it signs with is young (a new session when
// the current one has aged past 1/12 of its life), and the token's expiry is cut to the session's
// (src/ecr/effective-expiry.ts), since a token can stop working when the session that fetched it ends.
// A token scope is a region (ECR) or `public.ecr.aws` (ECR Public, src/ecr/authorization-apis.ts): same rules.
import { ECRClient } from '@aws-sdk/client-ecr';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { EcrAnywhereError, ErrorCodes } from '../common/errors.js';
import { systemClock, type Clock } from '../common/time.js';
import { authorizationApiFor, isEcrPublicScope, type AuthorizationApi } from './authorization-apis.js';
import { effectiveExpiry, parseHttpDate, VISIBLE_SKEW_MS } from './effective-expiry.js';
import { ECR_PUBLIC_REGION, hostOfProxyEndpoint } from './registry-host.js';
import type { AwsCredentialIdentityProvider } from './role-credentials.js';
import type { EcrToken, FetchEcrToken } from './token.js';

export interface EcrAdapterOptions {
  /** Whole budget for one token fetch, retries included: an admission must be answered well inside 10 s. */
  readonly timeoutMs: number;
  /** SDK attempts per fetch (1 = no retry). */
  readonly maxAttempts: number;
  /** Called once per fetch with its outcome, for metrics. */
  readonly onResult?: (region: string, outcome: 'success' | EcrOutcome) => void;
  /** Whose credentials sign the calls (a namespace's assumed role); default: the SDK's provider chain. */
  readonly credentials?: AwsCredentialIdentityProvider;
  /** Whose credentials these are, for refusal messages (default "webhook's"). */
  readonly who?: string;
  /** Asked for role sessions of this length (web identity; profiles use their own `duration_seconds`). */
  readonly sessionDurationSeconds?: number;
  /** Called once, the first time AWS's clock is seen to differ from ours by a minute or more. */
  readonly onClockSkew?: (skewMs: number) => void;
  readonly clock?: Clock;
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
  if (error instanceof EcrAnywhereError) return error.code === ErrorCodes.ROLE_REFUSED.code ? 'refused' : 'unavailable';
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
  refused: 'the {who} AWS credentials were not accepted or may not call it',
  throttled: 'AWS asked to slow down',
  unavailable: 'ECR could not be reached or gave an unusable answer',
};

/** The SDK's error code (`AccessDeniedException`, `ECONNREFUSED`, ...) when it is a plain identifier. */
function sdkCode(error: unknown): string {
  const named = error instanceof Error ? error.name : '';
  const code = named !== '' && named !== 'Error' ? named : (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && /^[A-Za-z][\w.:-]{0,63}$/.test(code) ? code : 'UnknownError';
}

/**
 * Maps any SDK failure to our error type: the SDK's error code and a short reason of ours, nothing more.
 * `operation` and `who` (whose credentials: "webhook's", "mirror's") only shape the message.
 */
export function toEcrError(error: unknown, region: string, timeoutMs: number, operation = 'GetAuthorizationToken', who = "webhook's"): EcrAnywhereError {
  const outcome = classify(error);
  const detail = outcome === 'timeout' ? `no answer within ${timeoutMs} ms` : `${sdkCode(error)}: ${REASON_OF[outcome].replace('{who}', who)}`;
  const service = isEcrPublicScope(region) ? `ECR Public ${operation} (for ${region}, in region ${ECR_PUBLIC_REGION})` : `ECR ${operation} in region ${region}`;
  return new EcrAnywhereError(SPEC_OF[outcome], `${service} ${VERB_OF[outcome]} (${detail})`);
}

function decodePassword(authorizationToken: string): string {
  const decoded = Buffer.from(authorizationToken, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon === -1 ? '' : decoded.slice(colon + 1);
}

/** Settles with `work`, or rejects with a TimeoutError as soon as `budget` runs out, whichever comes first. */
function withinBudget<T>(work: Promise<T>, budget: AbortSignal): Promise<T> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => reject(Object.assign(new Error('budget exhausted'), { name: 'TimeoutError' }));
    budget.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => budget.removeEventListener('abort', onAbort));
  });
}

/** ECR clients per region sharing one credential provider, with the per-attempt timeouts of `options`. */
export function ecrClients(options: Pick<EcrAdapterOptions, 'timeoutMs' | 'maxAttempts' | 'credentials'>): (region: string) => ECRClient {
  // One provider for every regional client, so an assumed role or web-identity exchange is cached once.
  const credentials = options.credentials ?? defaultProvider();
  const clients = new Map<string, ECRClient>();
  const attemptTimeoutMs = Math.max(500, Math.floor(options.timeoutMs / Math.max(1, options.maxAttempts)));
  return (region: string): ECRClient => {
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
}

/** Pure: a session that has used more than 1/12 of its life is replaced before it signs a token fetch. */
export function needsFreshSession(remainingMs: number, sessionLifeMs: number): boolean {
  return remainingMs < (sessionLifeMs * 11) / 12;
}

type AwsCredentialIdentity = Awaited<ReturnType<ReturnType<typeof defaultProvider>>>;
type CredentialProvider = (options?: { forceRefresh?: boolean }) => Promise<AwsCredentialIdentity>;

/** The credentials for the next fetch: the chain's, renewed when temporary ones have aged (see the header). */
function youngCredentials(clock: Clock): (provider: CredentialProvider) => Promise<AwsCredentialIdentity> {
  let sessionLifeMs = 0; // the longest life seen on fresh credentials: the session length the role grants
  return async (provider) => {
    let identity = await provider();
    if (identity.expiration === undefined) return identity;
    const remaining = (): number => identity.expiration!.getTime() - clock().getTime();
    if (sessionLifeMs > 0 && needsFreshSession(remaining(), sessionLifeMs)) identity = await provider({ forceRefresh: true });
    sessionLifeMs = Math.max(sessionLifeMs, remaining());
    return identity;
  };
}

export function createEcrTokenFetcher(options: EcrAdapterOptions): FetchEcrToken {
  const clock = options.clock ?? systemClock;
  // One provider for every regional client, so an assumed role or web-identity exchange is cached once.
  // A namespace's assumed role when given; else the chain (web identity asked for sessions of the configured length).
  const provider: CredentialProvider =
    options.credentials ?? defaultProvider(options.sessionDurationSeconds === undefined ? {} : { durationSeconds: options.sessionDurationSeconds });
  const credentialsFor = youngCredentials(clock);
  // A client signs with exactly the identity it was made with, so the identity whose expiry we judge is the one
  // used; a new identity gets a new client.
  const apis = new Map<string, { readonly api: AuthorizationApi; readonly identity: AwsCredentialIdentity }>();
  const attemptTimeoutMs = Math.max(500, Math.floor(options.timeoutMs / Math.max(1, options.maxAttempts)));
  const settings = { maxAttempts: options.maxAttempts, requestHandler: { connectionTimeout: Math.min(2_000, attemptTimeoutMs), requestTimeout: attemptTimeoutMs } };
  let skewReported = false;

  const apiFor = (scope: string, identity: AwsCredentialIdentity): AuthorizationApi => {
    const existing = apis.get(scope);
    if (existing?.identity === identity) return existing.api;
    existing?.api.destroy();
    const api = authorizationApiFor(scope, identity, settings);
    apis.set(scope, { api, identity });
    return api;
  };

  return async (region: string): Promise<EcrToken> => {
    try {
      // The budget covers resolving the credentials too (an AssumeRole), which the SDK's abortSignal does not.
      const budget = AbortSignal.timeout(options.timeoutMs);
      const identity = await withinBudget(credentialsFor(provider), budget);
      const api = apiFor(region, identity);
      const data = await withinBudget(api.getAuthorizationToken(budget), budget);
      const receivedAt = clock();
      const password = decodePassword(data?.authorizationToken ?? '');
      if (!data?.proxyEndpoint || !data.expiresAt || password === '') {
        throw Object.assign(new Error('the answer held no usable authorization data'), { name: 'MalformedResponse' });
      }
      const expiry = effectiveExpiry({
        receivedAt,
        serverDate: parseHttpDate(api.serverDate()),
        ecrExpiresAt: new Date(data.expiresAt),
        credentialsExpireAt: identity.expiration,
      });
      if (!skewReported && Math.abs(expiry.skewMs) >= VISIBLE_SKEW_MS) {
        skewReported = true;
        options.onClockSkew?.(expiry.skewMs);
      }
      options.onResult?.(region, 'success');
      return {
        region,
        password,
        proxyHost: hostOfProxyEndpoint(data.proxyEndpoint),
        expiresAt: expiry.expiresAt,
        fetchedAt: receivedAt,
        ...(expiry.credentialsExpireAt ? { credentialsExpireAt: expiry.credentialsExpireAt } : {}),
      };
    } catch (error) {
      // A refusal already coded (the namespace's role could not be assumed) keeps its code.
      const mapped = error instanceof EcrAnywhereError ? error : toEcrError(error, region, options.timeoutMs, 'GetAuthorizationToken', options.who);
      options.onResult?.(region, classify(error));
      throw mapped;
    }
  };
}
