// Credentials of the IAM roles namespaces name: STS AssumeRole from the webhook's own identity (the SDK's default
// provider chain), one session per (role, external id, session name), held until shortly before they expire and
// fetched single-flight. STS is reached through the SDK's standard endpoint settings (AWS_ENDPOINT_URL_STS).
// The STS client is loaded on the first AssumeRole: most installations name no role, and the module costs ~16 MiB.
import type { STSClient } from '@aws-sdk/client-sts';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { EcrAnywhereError, ErrorCodes } from '../common/errors.js';
import type { Clock } from '../common/time.js';

/** What an SDK client signs with (the SDK's AwsCredentialIdentity, spelled out to import nothing transitive). */
export interface AwsCredentialIdentity {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  readonly expiration?: Date;
}
export type AwsCredentialIdentityProvider = () => Promise<AwsCredentialIdentity>;

/** A role a namespace is served with. */
export interface AssumableRole {
  readonly arn: string;
  readonly externalId: string | undefined;
  /** Shown in CloudTrail: `ecr-anywhere-<namespace>`. */
  readonly sessionName: string;
}

export interface RoleCredentialsOptions {
  /** Region of the STS endpoint (the webhook's AWS_REGION): regional endpoints, no global-endpoint dependency. */
  readonly region: string;
  /** Budget for one AssumeRole call, retries included. */
  readonly timeoutMs: number;
  readonly clock: Clock;
  /** Credentials are renewed when less than this is left (default 5 minutes). */
  readonly renewBeforeMs?: number;
  /** The identity that assumes the roles; default: the SDK's provider chain. */
  readonly sourceCredentials?: AwsCredentialIdentityProvider;
}

const DEFAULT_RENEW_BEFORE_MS = 5 * 60_000;

export function roleKey(role: AssumableRole): string {
  return JSON.stringify([role.arn, role.externalId ?? null, role.sessionName]);
}

/** Maps an STS failure to ROLE_REFUSED naming the role; the SDK's message names no secret, but is shortened. */
export function toRoleError(error: unknown, role: AssumableRole, timeoutMs: number): EcrAnywhereError {
  const name = error instanceof Error ? error.name : 'Error';
  const timedOut = name === 'AbortError' || name === 'TimeoutError';
  const detail = timedOut ? `STS did not answer within ${timeoutMs} ms` : `${name}: ${(error instanceof Error ? error.message : String(error)).slice(0, 300)}`;
  return new EcrAnywhereError(ErrorCodes.ROLE_REFUSED, `could not assume role ${role.arn} (session ${role.sessionName}): ${detail}`);
}

export class RoleCredentials {
  private client: Promise<{ readonly sts: STSClient; readonly AssumeRoleCommand: typeof import('./sts-sdk.js').AssumeRoleCommand }> | undefined;
  private readonly held = new Map<string, AwsCredentialIdentity>();
  private readonly inFlight = new Map<string, Promise<AwsCredentialIdentity>>();
  private readonly renewBeforeMs: number;

  constructor(private readonly options: RoleCredentialsOptions) {
    this.renewBeforeMs = options.renewBeforeMs ?? DEFAULT_RENEW_BEFORE_MS;
  }

  private stsClient(): NonNullable<typeof this.client> {
    this.client ??= import('./sts-sdk.js').then(({ STSClient, AssumeRoleCommand }) => {
      const attemptTimeoutMs = Math.max(500, Math.floor(this.options.timeoutMs / 2));
      const sts = new STSClient({
        region: this.options.region,
        credentials: this.options.sourceCredentials ?? defaultProvider(),
        maxAttempts: 2,
        requestHandler: { connectionTimeout: Math.min(2_000, attemptTimeoutMs), requestTimeout: attemptTimeoutMs },
      });
      return { sts, AssumeRoleCommand };
    });
    return this.client;
  }

  /** The role's credentials: held ones while they keep enough life, else a fresh AssumeRole (single-flight). */
  get(role: AssumableRole): Promise<AwsCredentialIdentity> {
    const key = roleKey(role);
    const held = this.held.get(key);
    if (held !== undefined && this.fresh(held)) return Promise.resolve(held);
    const pending = this.inFlight.get(key);
    if (pending) return pending;
    const assuming = this.assume(role)
      .then((credentials) => {
        this.held.set(key, credentials);
        return credentials;
      })
      .finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, assuming);
    return assuming;
  }

  /** A provider for an SDK client: the ECR client of this role signs with whatever `get` holds. */
  providerFor(role: AssumableRole): AwsCredentialIdentityProvider {
    return () => this.get(role);
  }

  private fresh(credentials: AwsCredentialIdentity): boolean {
    const expiration = credentials.expiration?.getTime();
    return expiration === undefined || expiration - this.options.clock().getTime() > this.renewBeforeMs;
  }

  private async assume(role: AssumableRole): Promise<AwsCredentialIdentity> {
    try {
      const { sts, AssumeRoleCommand } = await this.stsClient();
      const output = await sts.send(
        new AssumeRoleCommand({ RoleArn: role.arn, RoleSessionName: role.sessionName, ...(role.externalId ? { ExternalId: role.externalId } : {}) }),
        { abortSignal: AbortSignal.timeout(this.options.timeoutMs) },
      );
      const credentials = output.Credentials;
      if (!credentials?.AccessKeyId || !credentials.SecretAccessKey) {
        throw Object.assign(new Error('the answer held no credentials'), { name: 'MalformedResponse' });
      }
      return {
        accessKeyId: credentials.AccessKeyId,
        secretAccessKey: credentials.SecretAccessKey,
        ...(credentials.SessionToken ? { sessionToken: credentials.SessionToken } : {}),
        ...(credentials.Expiration ? { expiration: new Date(credentials.Expiration) } : {}),
      };
    } catch (error) {
      throw toRoleError(error, role, this.options.timeoutMs);
    }
  }
}
