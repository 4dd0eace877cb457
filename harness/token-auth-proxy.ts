// A token-auth front for a real registry, as Docker Hub, GHCR or Harbor put before theirs: requests without a
// bearer token get `401 WWW-Authenticate: Bearer realm=…,service=…,scope=…`; the realm hands out a token for basic
// credentials; requests with the token are passed through to the registry behind. It can also lie about
// Docker-Content-Digest on manifests, to prove a client checks what it is told.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, request as httpsRequest, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { StartedRegistry } from './registry.js';

export interface TokenAuthProxy {
  readonly address: string;
  readonly tokensIssued: string[];
  /** Scopes the clients asked tokens for. */
  readonly scopes: string[];
  lieAboutDigest: boolean;
  close(): Promise<void>;
}

/** Fronts `behind` (an anonymous registry); `username`/`password` are what the token realm accepts. */
export async function startTokenAuthProxy(behind: StartedRegistry, username: string, password: string): Promise<TokenAuthProxy> {
  const ca = await readFile(behind.caFile);
  const [behindHost, behindPort] = behind.address.split(':');
  const tokensIssued: string[] = [];
  const scopes: string[] = [];
  const expectedBasic = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
  let address = '';
  const server: Server = createServer({ cert: await readFile(behind.tlsCertFile), key: await readFile(behind.tlsKeyFile) }, (request, response) => {
    const url = new URL(request.url ?? '/', `https://${address}`);
    if (url.pathname === '/token') {
      if (request.headers.authorization !== expectedBasic) {
        response.writeHead(401).end('{"details":"bad credentials"}');
        return;
      }
      const token = `token-${randomBytes(12).toString('hex')}`;
      tokensIssued.push(token);
      scopes.push(url.searchParams.get('scope') ?? '');
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token, expires_in: 300 }));
      return;
    }
    const bearer = request.headers.authorization?.replace(/^Bearer /, '');
    if (bearer === undefined || !tokensIssued.includes(bearer)) {
      const repository = /^\/v2\/(.+?)\/(manifests|blobs|tags)\//.exec(url.pathname)?.[1] ?? '';
      response
        .writeHead(401, { 'www-authenticate': `Bearer realm="https://${address}/token",service="token-auth-proxy",scope="repository:${repository}:pull,push"`, 'content-type': 'application/json' })
        .end('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}');
      return;
    }
    const headers = { ...request.headers, host: behind.address };
    delete headers.authorization;
    const upstream = httpsRequest({ host: behindHost, port: Number(behindPort), method: request.method, path: request.url, headers, ca }, (answer) => {
      const answerHeaders = { ...answer.headers };
      // Upload locations point at the registry behind; send the client back through us.
      if (typeof answerHeaders.location === 'string') answerHeaders.location = answerHeaders.location.replace(`https://${behind.address}`, `https://${address}`);
      if (proxy.lieAboutDigest && url.pathname.includes('/manifests/') && answerHeaders['docker-content-digest'] !== undefined) {
        answerHeaders['docker-content-digest'] = `sha256:${'0'.repeat(64)}`;
      }
      response.writeHead(answer.statusCode ?? 502, answerHeaders);
      answer.pipe(response);
    });
    upstream.on('error', () => response.writeHead(502).end());
    request.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  const proxy: TokenAuthProxy = {
    address,
    tokensIssued,
    scopes,
    lieAboutDigest: false,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return proxy;
}
