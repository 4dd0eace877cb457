// A small client of the OCI distribution protocol (the registry HTTP API v2), written here because no Node library
// does what mirroring needs: the npm registry's Docker clients (@snyk/docker-registry-v2-client,
// docker-registry-client and its forks) only pull, none mounts blobs across repositories or uploads in chunks, and
// none is among the project's allowed dependencies. It speaks exactly what the mirror uses:
//   manifests (images, Docker manifest lists, OCI indexes) GET/HEAD/PUT, with Docker-Content-Digest checked
//   against the bytes both ways; blobs HEAD/GET, cross-repository mount, monolithic and chunked upload (each
//   chunk's Content-Range, the final PUT's digest checked); auth: anonymous, basic, and the bearer token challenge.
// Everything goes through Node's fetch; a private CA is trusted through NODE_EXTRA_CA_CERTS, as for any Node program.
import { errorMessage } from '../../common/errors.js';
import { createHash } from 'node:crypto';
import type { BasicCredentials } from '../credentials.js';
import { parseChallenge, repositoryScope } from './challenge.js';
import { MANIFEST_TYPES, sha256Digest } from './media-types.js';

export type RegistryFailure = 'unreachable' | 'auth' | 'not-found' | 'refused' | 'digest' | 'protocol';

/** A registry answered badly or not at all; the message names the host and the operation, never a credential. */
export class RegistryError extends Error {
  constructor(
    /** The registry that failed: tells a source's failure from the target's. */
    readonly host: string,
    readonly failure: RegistryFailure,
    message: string,
    readonly status = 0,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'RegistryError';
  }
}

export interface RegistryClientOptions {
  /** Registry host as in image references (`docker.io`, `127.0.0.1:5000`). */
  readonly host: string;
  readonly credentials?: BasicCredentials | undefined;
  /** Budget for one request that carries no blob (manifests, HEADs, upload steps). */
  readonly requestTimeoutMs?: number;
  /** Budget for one blob transfer, start to end. */
  readonly blobTimeoutMs?: number;
}

export interface FetchedManifest {
  readonly bytes: Buffer;
  readonly mediaType: string;
  readonly digest: string;
}

interface RequestOptions {
  readonly repository: string;
  readonly push: boolean;
  readonly headers?: Record<string, string>;
  readonly body?: Buffer;
  readonly timeoutMs?: number;
  /** Statuses the caller handles itself; any other non-2xx becomes a RegistryError. */
  readonly accept?: readonly number[];
}

/** Docker Hub's API lives on another host than the name in references. */
function apiHost(host: string): string {
  return host === 'docker.io' ? 'registry-1.docker.io' : host;
}

const ENCODED_REPOSITORY = (repository: string): string => repository.split('/').map(encodeURIComponent).join('/');

function causeOf(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (errorMessage(error));
}

export class RegistryClient {
  readonly host: string;
  private readonly base: string;
  private readonly credentials: BasicCredentials | undefined;
  private readonly requestTimeoutMs: number;
  private readonly blobTimeoutMs: number;
  /** Basic auth goes out with every request once the registry asked for it (saves a 401 round trip each time). */
  private basic = false;
  private readonly tokens = new Map<string, string>();

  constructor(options: RegistryClientOptions) {
    this.host = options.host;
    this.base = `https://${apiHost(options.host)}`;
    this.credentials = options.credentials;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    this.blobTimeoutMs = options.blobTimeoutMs ?? 600_000;
  }

  /** The manifest `reference` (tag or digest) of `repository`, its bytes checked against every digest we know. */
  async getManifest(repository: string, reference: string): Promise<FetchedManifest> {
    const response = await this.request('GET', `/v2/${ENCODED_REPOSITORY(repository)}/manifests/${reference}`, {
      repository,
      push: false,
      headers: { accept: MANIFEST_TYPES.join(', ') },
    });
    const bytes = Buffer.from(await response.arrayBuffer());
    const digest = sha256Digest(bytes);
    const answered = response.headers.get('docker-content-digest');
    if (answered !== null && answered !== digest) {
      throw new RegistryError(this.host, 'digest', `${this.host}/${repository}:${reference}: the registry said ${answered} but the manifest's bytes hash to ${digest}`);
    }
    if (reference.includes(':') && reference !== digest) {
      throw new RegistryError(this.host, 'digest', `${this.host}/${repository}@${reference}: the registry served a manifest whose bytes hash to ${digest}`);
    }
    return { bytes, mediaType: response.headers.get('content-type') ?? '', digest };
  }

  /** The digest `reference` points at, or undefined when the registry has no such manifest. */
  async manifestDigest(repository: string, reference: string): Promise<string | undefined> {
    const response = await this.request('HEAD', `/v2/${ENCODED_REPOSITORY(repository)}/manifests/${reference}`, {
      repository,
      push: false,
      headers: { accept: MANIFEST_TYPES.join(', ') },
      accept: [404],
    });
    if (response.status === 404) return undefined;
    const digest = response.headers.get('docker-content-digest');
    // A registry that answers HEAD without the digest leaves us to hash the manifest ourselves.
    return digest ?? (await this.getManifest(repository, reference)).digest;
  }

  /** Uploads a manifest under `reference` (a tag, or its own digest); checks the digest the registry computed. */
  async putManifest(repository: string, reference: string, bytes: Buffer, mediaType: string): Promise<string> {
    const digest = sha256Digest(bytes);
    const response = await this.request('PUT', `/v2/${ENCODED_REPOSITORY(repository)}/manifests/${reference}`, {
      repository,
      push: true,
      headers: { 'content-type': mediaType },
      body: bytes,
    });
    await response.body?.cancel();
    const answered = response.headers.get('docker-content-digest');
    if (answered !== null && answered !== digest) {
      throw new RegistryError(this.host, 'digest', `${this.host}/${repository}:${reference}: the registry stored the manifest as ${answered}, not ${digest}`);
    }
    return digest;
  }

  async hasBlob(repository: string, digest: string): Promise<boolean> {
    const response = await this.request('HEAD', `/v2/${ENCODED_REPOSITORY(repository)}/blobs/${digest}`, { repository, push: false, accept: [404] });
    return response.status !== 404;
  }

  /** Streams a blob; the caller checks its digest (uploadBlob does, as it hashes what it sends). */
  async openBlob(repository: string, digest: string): Promise<AsyncIterable<Uint8Array>> {
    const response = await this.request('GET', `/v2/${ENCODED_REPOSITORY(repository)}/blobs/${digest}`, { repository, push: false, timeoutMs: this.blobTimeoutMs });
    if (response.body === null) throw new RegistryError(this.host, 'protocol', `${this.host}/${repository}: blob ${digest} came without a body`);
    return response.body;
  }

  /** Mounts a blob from another repository of this registry: true when mounted, else the upload URL it opened instead. */
  async mountBlob(repository: string, digest: string, from: string): Promise<true | URL> {
    const query = new URLSearchParams({ mount: digest, from });
    const response = await this.request('POST', `/v2/${ENCODED_REPOSITORY(repository)}/blobs/uploads/?${query.toString()}`, { repository, push: true });
    await response.body?.cancel();
    if (response.status === 201) return true;
    return this.location(response, repository);
  }

  /**
   * Uploads a blob from `content`: one PUT when it fits in `chunkSize`, else PATCHes of `chunkSize` bytes (each
   * with its Content-Range) and a closing PUT. The bytes are hashed as they pass; a mismatch with `digest` stops the
   * upload before it is committed. Returns the bytes sent.
   */
  async uploadBlob(repository: string, digest: string, content: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, chunkSize: number, opened?: URL): Promise<number> {
    let location = opened ?? (await this.startUpload(repository));
    const hash = createHash('sha256');
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let offset = 0;
    const sendChunk = async (chunk: Buffer): Promise<void> => {
      const response = await this.request('PATCH', location.toString(), {
        repository,
        push: true,
        headers: { 'content-type': 'application/octet-stream', 'content-range': `${offset}-${offset + chunk.length - 1}` },
        body: chunk,
        timeoutMs: this.blobTimeoutMs,
      });
      await response.body?.cancel();
      location = this.location(response, repository);
      offset += chunk.length;
    };
    for await (const piece of content) {
      hash.update(piece);
      pending.push(Buffer.from(piece));
      pendingBytes += piece.length;
      while (pendingBytes >= chunkSize) {
        const joined = Buffer.concat(pending);
        await sendChunk(joined.subarray(0, chunkSize));
        pending = [joined.subarray(chunkSize)];
        pendingBytes = joined.length - chunkSize;
      }
    }
    const rest = Buffer.concat(pending);
    const actual = `sha256:${hash.digest('hex')}`;
    if (actual !== digest) throw new RegistryError(this.host, 'digest', `blob ${digest}: the source sent bytes that hash to ${actual}`);
    const close = new URL(location);
    close.searchParams.set('digest', digest);
    // Whatever is left goes with the closing PUT (the whole blob when it fits in one chunk).
    const response = await this.request('PUT', close.toString(), {
      repository,
      push: true,
      headers: { 'content-type': 'application/octet-stream' },
      body: rest,
      timeoutMs: this.blobTimeoutMs,
    });
    await response.body?.cancel();
    const answered = response.headers.get('docker-content-digest');
    if (answered !== null && answered !== digest) throw new RegistryError(this.host, 'digest', `${this.host}/${repository}: the registry stored blob ${digest} as ${answered}`);
    return offset + rest.length;
  }

  private async startUpload(repository: string): Promise<URL> {
    const response = await this.request('POST', `/v2/${ENCODED_REPOSITORY(repository)}/blobs/uploads/`, { repository, push: true });
    await response.body?.cancel();
    return this.location(response, repository);
  }

  private location(response: Response, repository: string): URL {
    const location = response.headers.get('location');
    if (location === null) throw new RegistryError(this.host, 'protocol', `${this.host}/${repository}: the upload answer (${response.status}) has no Location`);
    return new URL(location, this.base);
  }

  private authorization(scope: string): string | undefined {
    const token = this.tokens.get(scope);
    if (token !== undefined) return `Bearer ${token}`;
    if (this.basic && this.credentials !== undefined) return `Basic ${Buffer.from(`${this.credentials.username}:${this.credentials.password}`).toString('base64')}`;
    return undefined;
  }

  private async request(method: string, pathOrUrl: string, options: RequestOptions): Promise<Response> {
    const scope = repositoryScope(options.repository, options.push);
    const url = pathOrUrl.startsWith('https://') ? pathOrUrl : `${this.base}${pathOrUrl}`;
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const headers: Record<string, string> = { 'user-agent': 'ecr-anywhere-mirror', ...options.headers };
      const authorization = this.authorization(scope);
      if (authorization !== undefined) headers.authorization = authorization;
      let response: Response;
      try {
        response = await fetch(url, {
          method,
          headers,
          body: options.body,
          redirect: 'follow',
          signal: AbortSignal.timeout(options.timeoutMs ?? this.requestTimeoutMs),
        });
      } catch (error) {
        throw new RegistryError(this.host, 'unreachable', `${this.host}: ${method} ${new URL(url).pathname} failed (${causeOf(error)})`, 0, { cause: error });
      }
      if (response.status === 401 && attempt === 0 && (await this.answerChallenge(response, scope, authorization !== undefined))) continue;
      if (response.ok || options.accept?.includes(response.status)) return response;
      throw await this.failure(response, method, url);
    }
    throw new RegistryError(this.host, 'auth', `${this.host}: the credentials were refused for ${scope}`, 401);
  }

  /** Learns how to authenticate from a 401; false when there is nothing more to try. */
  private async answerChallenge(response: Response, scope: string, sentCredentials: boolean): Promise<boolean> {
    await response.body?.cancel();
    const challenge = parseChallenge(response.headers.get('www-authenticate'));
    if (challenge === undefined) return false;
    if (challenge.scheme === 'basic') {
      if (this.credentials === undefined) throw new RegistryError(this.host, 'auth', `${this.host} asks for credentials (basic auth) and none are configured for it`, 401);
      if (sentCredentials && this.basic) return false;
      this.basic = true;
      return true;
    }
    const query = new URLSearchParams();
    if (challenge.service !== undefined) query.set('service', challenge.service);
    query.set('scope', challenge.scope ?? scope);
    const headers: Record<string, string> = { 'user-agent': 'ecr-anywhere-mirror' };
    if (this.credentials !== undefined) headers.authorization = `Basic ${Buffer.from(`${this.credentials.username}:${this.credentials.password}`).toString('base64')}`;
    let tokenResponse: Response;
    try {
      tokenResponse = await fetch(`${challenge.realm}?${query.toString()}`, { headers, signal: AbortSignal.timeout(this.requestTimeoutMs) });
    } catch (error) {
      throw new RegistryError(this.host, 'unreachable', `${this.host}: its token service ${new URL(challenge.realm).host} failed (${causeOf(error)})`, 0, { cause: error });
    }
    if (!tokenResponse.ok) {
      await tokenResponse.body?.cancel();
      throw new RegistryError(this.host, 'auth', `${this.host}: its token service refused a token for ${scope} (HTTP ${tokenResponse.status})`, tokenResponse.status);
    }
    const body = (await tokenResponse.json()) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (typeof token !== 'string' || token === '') throw new RegistryError(this.host, 'auth', `${this.host}: its token service answered without a token`, 401);
    this.tokens.set(scope, token);
    return true;
  }

  private async failure(response: Response, method: string, url: string): Promise<RegistryError> {
    // The error body names the registry's own error codes (MANIFEST_UNKNOWN, DENIED…); it holds no credentials.
    const text = method === 'HEAD' ? '' : (await response.text()).slice(0, 300);
    let codes = '';
    try {
      codes = ((JSON.parse(text) as { errors?: Array<{ code?: string; message?: string }> }).errors ?? []).map((e) => `${e.code ?? ''}: ${e.message ?? ''}`).join('; ');
    } catch {
      codes = text.replace(/\s+/g, ' ').trim();
    }
    const what = `${this.host}: ${method} ${new URL(url).pathname} answered HTTP ${response.status}${codes === '' ? '' : ` (${codes})`}`;
    const failure: RegistryFailure = response.status === 404 ? 'not-found' : response.status === 401 ? 'auth' : response.status === 403 || response.status === 400 || response.status === 405 ? 'refused' : 'protocol';
    return new RegistryError(this.host, failure, what, response.status);
  }
}
