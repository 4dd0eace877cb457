// An ECR stand-in speaking the AWS JSON 1.1 protocol, reached by the real AWS SDK through AWS_ENDPOINT_URL_ECR.
// It answers GetAuthorizationToken like ECR does (base64 "AWS:<password>", expiresAt in epoch seconds, the
// account's proxyEndpoint), reads the region from the SigV4 credential scope, and can refuse, throttle or hang.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type StandInBehaviour = 'ok' | 'refuse' | 'throttle' | 'hang' | 'malformed';

export interface StandInCall {
  readonly region: string;
  readonly target: string;
  readonly accessKeyId: string;
}

export interface EcrStandIn {
  readonly url: string;
  readonly calls: StandInCall[];
  /** Every password handed out, in order. */
  readonly issued: string[];
  behaviour: StandInBehaviour;
  /** Lifetime of issued tokens; ECR's is 12 h. */
  tokenLifetimeMs: number;
  /** How far AWS's clock is ahead of ours (negative: behind): shifts the Date header and expiresAt alike. */
  clockOffsetMs: number;
  close(): Promise<void>;
}

export interface EcrStandInOptions {
  readonly accountId?: string;
  readonly host?: string;
  readonly port?: number;
  /** Makes each password; defaults to a random, ECR-like token that embeds the region. */
  readonly passwordFor?: (region: string, sequence: number) => string;
}

const GET_AUTHORIZATION_TOKEN = 'AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken';

function scopeOf(request: IncomingMessage): { region: string; accessKeyId: string } {
  const authorization = request.headers.authorization ?? '';
  const match = /Credential=([^/]+)\/\d{8}\/([^/]+)\/ecr\/aws4_request/.exec(authorization);
  return { accessKeyId: match?.[1] ?? '', region: match?.[2] ?? '' };
}

function sendJson(response: ServerResponse, status: number, body: unknown, errorType?: string, clockOffsetMs = 0): void {
  const headers: Record<string, string> = {
    'content-type': 'application/x-amz-json-1.1',
    'x-amzn-requestid': randomBytes(8).toString('hex'),
    date: new Date(Date.now() + clockOffsetMs).toUTCString(),
  };
  if (errorType) headers['x-amzn-errortype'] = errorType;
  response.writeHead(status, headers).end(JSON.stringify(body));
}

export function defaultPassword(region: string, sequence: number): string {
  return `ecr-${region}-${sequence}-${randomBytes(24).toString('base64url')}`;
}

export async function startEcrStandIn(options: EcrStandInOptions = {}): Promise<EcrStandIn> {
  const accountId = options.accountId ?? '123456789012';
  const passwordFor = options.passwordFor ?? defaultPassword;
  const calls: StandInCall[] = [];
  const issued: string[] = [];
  const hanging = new Set<ServerResponse>();

  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const target = String(request.headers['x-amz-target'] ?? '');
      const { region, accessKeyId } = scopeOf(request);
      calls.push({ region, target, accessKeyId });
      if (target !== GET_AUTHORIZATION_TOKEN) {
        sendJson(response, 400, { __type: 'UnknownOperationException', message: `unsupported ${target}` }, 'UnknownOperationException');
        return;
      }
      switch (standIn.behaviour) {
        case 'refuse':
          sendJson(response, 400, { __type: 'AccessDeniedException', message: `User is not authorized to perform ecr:GetAuthorizationToken in ${region}` }, 'AccessDeniedException');
          return;
        case 'throttle':
          sendJson(response, 400, { __type: 'ThrottlingException', message: 'Rate exceeded' }, 'ThrottlingException');
          return;
        case 'hang':
          hanging.add(response);
          response.on('close', () => hanging.delete(response));
          return;
        case 'malformed':
          sendJson(response, 200, { authorizationData: [] });
          return;
        case 'ok': {
          const password = passwordFor(region, issued.length + 1);
          issued.push(password);
          const expiresAt = (Date.now() + standIn.clockOffsetMs + standIn.tokenLifetimeMs) / 1000;
          sendJson(response, 200, {
            authorizationData: [
              {
                authorizationToken: Buffer.from(`AWS:${password}`).toString('base64'),
                expiresAt,
                proxyEndpoint: `https://${accountId}.dkr.ecr.${region}.amazonaws.com`,
              },
            ],
          }, undefined, standIn.clockOffsetMs);
        }
      }
    });
  });

  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const standIn: EcrStandIn = {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    calls,
    issued,
    behaviour: 'ok',
    tokenLifetimeMs: 12 * 3_600_000,
    clockOffsetMs: 0,
    close: async () => {
      for (const response of hanging) response.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return standIn;
}
