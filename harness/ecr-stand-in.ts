// An ECR stand-in speaking the AWS JSON 1.1 protocol, reached by the real AWS SDK through AWS_ENDPOINT_URL_ECR.
// It answers GetAuthorizationToken like ECR does (base64 "AWS:<password>", expiresAt in epoch seconds, the
// account's proxyEndpoint), reads the region from the SigV4 credential scope, and can refuse, throttle or hang.
// For `ecr-anywhere mirror` it also keeps repositories (CreateRepository, DescribeRepositories, DeleteRepository)
// and answers for their images (DescribeImages, BatchDeleteImage) from a real registry standing in for ECR's
// registry endpoint, whose address its proxyEndpoint then names.
// It answers ECR Public's GetAuthorizationToken too (reached through AWS_ENDPOINT_URL_ECR_PUBLIC): AWS JSON 1.1 with
// target `SpencerFrontendService.GetAuthorizationToken`, signed for service `ecr-public` in us-east-1, answered
// with one authorizationData object (no list, no proxyEndpoint), as the SDK's deserializer expects.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';

export type StandInBehaviour = 'ok' | 'refuse' | 'throttle' | 'hang' | 'malformed';

export interface StandInCall {
  readonly region: string;
  readonly target: string;
  readonly accessKeyId: string;
}

/** A repository as CreateRepository made it. */
export interface StandInRepository {
  readonly name: string;
  readonly imageTagMutability: string;
  readonly scanOnPush: boolean;
}

export interface EcrStandIn {
  readonly url: string;
  readonly calls: StandInCall[];
  /** Repositories by name; tests may add some (another team's) directly. */
  readonly repositories: Map<string, StandInRepository>;
  /** CreateRepository answers AccessDeniedException for the names this matches. */
  refuseCreateRepository: RegExp | undefined;
  /** Every password handed out, in order. */
  readonly issued: string[];
  behaviour: StandInBehaviour;
  /** How ECR Public's GetAuthorizationToken answers, apart from ECR's. */
  publicBehaviour: StandInBehaviour;
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
  /** Makes each password; defaults to a random, ECR-like token that embeds the region (`public.ecr.aws` for ECR Public). */
  readonly passwordFor?: (region: string, sequence: number, accessKeyId: string) => string;
  /** The caller's account from its access key id (as ECR knows it), for the proxyEndpoint; default `accountId`. */
  readonly accountOf?: (accessKeyId: string) => string | undefined;
  /** The proxyEndpoint to answer with (e.g. `https://127.0.0.1:5000`, the registry standing in for ECR's). */
  readonly proxyEndpoint?: string;
  /** That registry, read and written for DescribeImages / BatchDeleteImage / DeleteRepository. */
  readonly registry?: StandInRegistry;
}

export interface StandInRegistry {
  readonly address: string;
  readonly ca: string;
  readonly username: string;
  readonly password: string;
}

const TARGET_PREFIX = 'AmazonEC2ContainerRegistry_V20150921.';
const GET_AUTHORIZATION_TOKEN = `${TARGET_PREFIX}GetAuthorizationToken`;
const GET_PUBLIC_AUTHORIZATION_TOKEN = 'SpencerFrontendService.GetAuthorizationToken';
/** The scope ECR Public's passwords are made for (its calls are signed in us-east-1, like ECR's there). */
export const ECR_PUBLIC_SCOPE = 'public.ecr.aws';
const REPOSITORY_OPERATIONS = new Set(['CreateRepository', 'DescribeRepositories', 'DescribeImages', 'BatchDeleteImage', 'DeleteRepository']);

interface RegistryAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** One request to the stand-in's registry, with basic auth and its CA. */
function registryCall(registry: StandInRegistry, method: string, path: string, accept?: string): Promise<RegistryAnswer> {
  return new Promise((resolve, reject) => {
    const [host, port] = registry.address.split(':');
    const headers: Record<string, string> = { authorization: `Basic ${Buffer.from(`${registry.username}:${registry.password}`).toString('base64')}` };
    if (accept !== undefined) headers.accept = accept;
    const req = httpsRequest({ host, port: Number(port), method, path, ca: registry.ca, headers, timeout: 10_000 }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('timeout', () => req.destroy(new Error('registry timeout')));
    req.on('error', reject);
    req.end();
  });
}

const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

/** Tagged images of a repository in the registry: digest → tags (the registry API lists tags, not manifests). */
async function imagesInRegistry(registry: StandInRegistry, name: string): Promise<Map<string, string[]>> {
  const images = new Map<string, string[]>();
  const listed = await registryCall(registry, 'GET', `/v2/${name}/tags/list`);
  if (listed.status === 404) return images;
  if (listed.status !== 200) throw new Error(`registry tags/list of ${name}: HTTP ${listed.status}`);
  for (const tag of (JSON.parse(listed.body) as { tags?: string[] | null }).tags ?? []) {
    const head = await registryCall(registry, 'HEAD', `/v2/${name}/manifests/${tag}`, MANIFEST_ACCEPT);
    const digest = head.headers['docker-content-digest'];
    if (head.status !== 200 || typeof digest !== 'string') continue;
    images.set(digest, [...(images.get(digest) ?? []), tag]);
  }
  return images;
}

function scopeOf(request: IncomingMessage): { region: string; accessKeyId: string } {
  const authorization = request.headers.authorization ?? '';
  const match = /Credential=([^/]+)\/\d{8}\/([^/]+)\/ecr(?:-public)?\/aws4_request/.exec(authorization);
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
  const repositories = new Map<string, StandInRepository>();
  const registry = options.registry;

  const notFound = (name: string): [number, unknown, string] => [
    400,
    { __type: 'RepositoryNotFoundException', message: `The repository with name '${name}' does not exist in the registry with id '${accountId}'` },
    'RepositoryNotFoundException',
  ];
  const repositoryJson = (repository: StandInRepository, region: string): Record<string, unknown> => ({
    repositoryArn: `arn:aws:ecr:${region}:${accountId}:repository/${repository.name}`,
    registryId: accountId,
    repositoryName: repository.name,
    repositoryUri: `${accountId}.dkr.ecr.${region}.amazonaws.com/${repository.name}`,
    imageTagMutability: repository.imageTagMutability,
    imageScanningConfiguration: { scanOnPush: repository.scanOnPush },
  });
  const needRegistry = (): StandInRegistry => {
    if (registry === undefined) throw new Error('this stand-in was started without a registry');
    return registry;
  };

  async function repositoryOperation(operation: string, input: Record<string, unknown>, region: string): Promise<[number, unknown, string?]> {
    const name = typeof input.repositoryName === 'string' ? input.repositoryName : '';
    switch (operation) {
      case 'CreateRepository': {
        if (standIn.refuseCreateRepository?.test(name)) {
          return [400, { __type: 'AccessDeniedException', message: `User is not authorized to perform: ecr:CreateRepository on resource ${name}` }, 'AccessDeniedException'];
        }
        if (repositories.has(name)) {
          return [400, { __type: 'RepositoryAlreadyExistsException', message: `The repository with name '${name}' already exists` }, 'RepositoryAlreadyExistsException'];
        }
        const scanning = input.imageScanningConfiguration as { scanOnPush?: boolean } | undefined;
        const repository = { name, imageTagMutability: typeof input.imageTagMutability === 'string' ? input.imageTagMutability : 'MUTABLE', scanOnPush: scanning?.scanOnPush === true };
        repositories.set(name, repository);
        return [200, { repository: repositoryJson(repository, region) }];
      }
      case 'DescribeRepositories': {
        // Pages of two, so that callers that ignore nextToken miss repositories and fail their tests.
        const all = [...repositories.values()].sort((a, b) => a.name.localeCompare(b.name));
        const start = typeof input.nextToken === 'string' ? Number(input.nextToken) : 0;
        const page = all.slice(start, start + 2);
        const next = start + 2 < all.length ? String(start + 2) : undefined;
        return [200, { repositories: page.map((repository) => repositoryJson(repository, region)), ...(next === undefined ? {} : { nextToken: next }) }];
      }
      case 'DescribeImages': {
        if (!repositories.has(name)) return notFound(name);
        const images = await imagesInRegistry(needRegistry(), name);
        return [200, { imageDetails: [...images.entries()].map(([imageDigest, imageTags]) => ({ registryId: accountId, repositoryName: name, imageDigest, imageTags })) }];
      }
      case 'BatchDeleteImage': {
        if (!repositories.has(name)) return notFound(name);
        const ids = (input.imageIds as Array<{ imageDigest?: string; imageTag?: string }> | undefined) ?? [];
        const deleted: Array<{ imageDigest: string }> = [];
        const failures: Array<Record<string, unknown>> = [];
        for (const id of ids) {
          const answer = await registryCall(needRegistry(), 'DELETE', `/v2/${name}/manifests/${id.imageDigest ?? ''}`);
          if (answer.status === 202) deleted.push({ imageDigest: id.imageDigest ?? '' });
          else failures.push({ imageId: id, failureCode: answer.status === 404 ? 'ImageNotFound' : 'InvalidImageDigest', failureReason: `registry answered ${answer.status}` });
        }
        return [200, { imageIds: deleted, failures }];
      }
      case 'DeleteRepository': {
        const repository = repositories.get(name);
        if (repository === undefined) return notFound(name);
        if (registry !== undefined && input.force !== true && (await imagesInRegistry(registry, name)).size > 0) {
          return [400, { __type: 'RepositoryNotEmptyException', message: `The repository with name '${name}' cannot be deleted because it still contains images` }, 'RepositoryNotEmptyException'];
        }
        repositories.delete(name);
        return [200, { repository: repositoryJson(repository, region) }];
      }
      default:
        return [400, { __type: 'UnknownOperationException', message: `unsupported ${operation}` }, 'UnknownOperationException'];
    }
  }

  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const target = String(request.headers['x-amz-target'] ?? '');
      const { region, accessKeyId } = scopeOf(request);
      calls.push({ region, target, accessKeyId });
      const operation = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : '';
      if (REPOSITORY_OPERATIONS.has(operation)) {
        const input = (chunks.length === 0 ? {} : JSON.parse(Buffer.concat(chunks).toString('utf8'))) as Record<string, unknown>;
        repositoryOperation(operation, input, region).then(
          ([status, body, errorType]) => sendJson(response, status, body, errorType),
          (error: unknown) => sendJson(response, 500, { __type: 'ServerException', message: (error as Error).message }, 'ServerException'),
        );
        return;
      }
      const ecrPublic = target === GET_PUBLIC_AUTHORIZATION_TOKEN;
      if (target !== GET_AUTHORIZATION_TOKEN && !ecrPublic) {
        sendJson(response, 400, { __type: 'UnknownOperationException', message: `unsupported ${target}` }, 'UnknownOperationException');
        return;
      }
      switch (ecrPublic ? standIn.publicBehaviour : standIn.behaviour) {
        case 'refuse':
          sendJson(
            response,
            400,
            { __type: 'AccessDeniedException', message: `User is not authorized to perform ${ecrPublic ? 'ecr-public' : 'ecr'}:GetAuthorizationToken in ${region}` },
            'AccessDeniedException',
          );
          return;
        case 'throttle':
          sendJson(response, 400, { __type: 'ThrottlingException', message: 'Rate exceeded' }, 'ThrottlingException');
          return;
        case 'hang':
          hanging.add(response);
          response.on('close', () => hanging.delete(response));
          return;
        case 'malformed':
          sendJson(response, 200, ecrPublic ? {} : { authorizationData: [] });
          return;
        case 'ok': {
          const password = passwordFor(ecrPublic ? ECR_PUBLIC_SCOPE : region, issued.length + 1, accessKeyId);
          issued.push(password);
          const expiresAt = (Date.now() + standIn.clockOffsetMs + standIn.tokenLifetimeMs) / 1000;
          const authorizationToken = Buffer.from(`AWS:${password}`).toString('base64');
          if (ecrPublic) {
            sendJson(response, 200, { authorizationData: { authorizationToken, expiresAt } }, undefined, standIn.clockOffsetMs);
            return;
          }
          sendJson(response, 200, {
            authorizationData: [
              {
                authorizationToken,
                expiresAt,
                proxyEndpoint: options.proxyEndpoint ?? `https://${options.accountOf?.(accessKeyId) ?? accountId}.dkr.ecr.${region}.amazonaws.com`,
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
    repositories,
    refuseCreateRepository: undefined,
    behaviour: 'ok',
    publicBehaviour: 'ok',
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
