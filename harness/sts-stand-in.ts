// An STS stand-in speaking the real STS Query protocol (POST, form-encoded Action=AssumeRole&Version=2011-06-15,
// XML answers and <ErrorResponse> errors), reached by the real AWS SDK through AWS_ENDPOINT_URL_STS. Each role gets
// its own access key id, which embeds the role's account, so the ECR stand-in (which records the SigV4 access key of
// every call) shows which role fetched which token. A role can be refused or left hanging.
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type RoleBehaviour = 'ok' | 'refuse' | 'hang';

export interface AssumeRoleCall {
  readonly roleArn: string;
  readonly sessionName: string;
  readonly externalId: string | undefined;
  /** The SigV4 access key id of the caller: the webhook's own identity. */
  readonly callerAccessKeyId: string;
}

export interface StsStandIn {
  readonly url: string;
  readonly calls: AssumeRoleCall[];
  /** Every secret key and session token handed out: tests check none of them shows in logs. */
  readonly issuedSecrets: string[];
  /** Per role ARN; roles not named answer normally. */
  readonly behaviour: Map<string, RoleBehaviour>;
  /** A role whose trust policy demands this external id refuses any other. */
  readonly requiredExternalId: Map<string, string>;
  /** Lifetime of issued credentials; STS's default session is 1 h. */
  sessionLifetimeMs: number;
  close(): Promise<void>;
}

const NS = 'https://sts.amazonaws.com/doc/2011-06-15/';

/** The access key id the stand-in issues for a role: `ASIA` + the role's 12-digit account + 4 hex of its ARN. */
export function accessKeyIdForRole(roleArn: string): string {
  const account = /^arn:[^:]+:iam::(\d{12}):role\//.exec(roleArn)?.[1] ?? '000000000000';
  return `ASIA${account}${createHash('sha256').update(roleArn).digest('hex').slice(0, 4).toUpperCase()}`;
}

/** The account a key issued by this stand-in belongs to, or undefined for any other key. */
export function accountOfAccessKeyId(accessKeyId: string): string | undefined {
  return /^ASIA(\d{12})[0-9A-F]{4}$/.exec(accessKeyId)?.[1];
}

function callerKeyOf(request: IncomingMessage): string {
  return /Credential=([^/]+)\//.exec(request.headers.authorization ?? '')?.[1] ?? '';
}

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] ?? c);
}

function sendXml(response: ServerResponse, status: number, body: string): void {
  response.writeHead(status, { 'content-type': 'text/xml', 'x-amzn-requestid': randomBytes(8).toString('hex') }).end(body);
}

function sendError(response: ServerResponse, status: number, code: string, message: string): void {
  sendXml(
    response,
    status,
    `<ErrorResponse xmlns="${NS}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${escapeXml(message)}</Message></Error>` +
      `<RequestId>${randomBytes(8).toString('hex')}</RequestId></ErrorResponse>`,
  );
}

export async function startStsStandIn(options: { readonly host?: string } = {}): Promise<StsStandIn> {
  const calls: AssumeRoleCall[] = [];
  const hanging = new Set<ServerResponse>();
  const host = options.host ?? '127.0.0.1';

  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      if (request.method !== 'POST' || form.get('Version') !== '2011-06-15') {
        sendError(response, 400, 'InvalidAction', 'expected POST with Version=2011-06-15');
        return;
      }
      if (form.get('Action') !== 'AssumeRole') {
        sendError(response, 400, 'InvalidAction', `unsupported action ${form.get('Action') ?? ''}`);
        return;
      }
      const roleArn = form.get('RoleArn') ?? '';
      const sessionName = form.get('RoleSessionName') ?? '';
      const externalId = form.get('ExternalId') ?? undefined;
      calls.push({ roleArn, sessionName, externalId, callerAccessKeyId: callerKeyOf(request) });
      if (!/^[\w+=,.@-]{2,64}$/.test(sessionName)) {
        sendError(response, 400, 'ValidationError', `1 validation error detected: Value '${sessionName}' at 'roleSessionName' failed to satisfy constraint`);
        return;
      }
      const required = standIn.requiredExternalId.get(roleArn);
      const behaviour = standIn.behaviour.get(roleArn) ?? 'ok';
      if (behaviour === 'hang') {
        hanging.add(response);
        response.on('close', () => hanging.delete(response));
        return;
      }
      if (behaviour === 'refuse' || (required !== undefined && required !== externalId)) {
        sendError(response, 403, 'AccessDenied', `User: arn:aws:iam::123456789012:user/webhook is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`);
        return;
      }
      const accessKeyId = accessKeyIdForRole(roleArn);
      const secretAccessKey = randomBytes(30).toString('base64');
      const sessionToken = randomBytes(48).toString('base64');
      standIn.issuedSecrets.push(secretAccessKey, sessionToken);
      const expiration = new Date(Date.now() + standIn.sessionLifetimeMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
      sendXml(
        response,
        200,
        `<AssumeRoleResponse xmlns="${NS}"><AssumeRoleResult>` +
          `<Credentials><AccessKeyId>${accessKeyId}</AccessKeyId><SecretAccessKey>${secretAccessKey}</SecretAccessKey>` +
          `<SessionToken>${sessionToken}</SessionToken><Expiration>${expiration}</Expiration></Credentials>` +
          `<AssumedRoleUser><Arn>${escapeXml(roleArn.replace(':iam::', ':sts::').replace(':role/', ':assumed-role/'))}/${escapeXml(sessionName)}</Arn>` +
          `<AssumedRoleId>AROA${randomBytes(8).toString('hex').toUpperCase()}:${escapeXml(sessionName)}</AssumedRoleId></AssumedRoleUser>` +
          `</AssumeRoleResult><ResponseMetadata><RequestId>${randomBytes(8).toString('hex')}</RequestId></ResponseMetadata></AssumeRoleResponse>`,
      );
    });
  });

  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  const standIn: StsStandIn = {
    url: `http://${host}:${port}`,
    calls,
    issuedSecrets: [],
    behaviour: new Map(),
    requiredExternalId: new Map(),
    sessionLifetimeMs: 3_600_000,
    close: async () => {
      for (const response of hanging) response.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return standIn;
}
