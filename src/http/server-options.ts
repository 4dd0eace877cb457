// How the TLS admission server holds up against slow or unauthenticated clients: Node's timeouts (handshake,
// headers, whole request, idle keep-alive, inactive socket), the TLS floor, and mutual TLS — the client CA in the
// same secure context as the serving pair, and a check of the client certificate (its names, judged by the caller)
// that ends the socket before a single byte of HTTP is read.
import type { Server as HttpsServer, ServerOptions as HttpsServerOptions } from 'node:https';
import type { PeerCertificate, SecureContextOptions, TLSSocket } from 'node:tls';
import type { Logger } from '../common/logger.js';

/** Bounds on how long a client may hold a socket. The API server sends a whole review within milliseconds. */
export const SERVER_LIMITS = {
  /** TCP connected, TLS handshake not finished. */
  handshakeTimeoutMs: 10_000,
  /** Request line and headers complete: half a header and a stall is cut off here (slowloris). */
  headersTimeoutMs: 10_000,
  /** Headers and body complete (up to the 8 MiB body limit). */
  requestTimeoutMs: 15_000,
  /** Idle between two requests on a kept-alive connection. */
  keepAliveTimeoutMs: 30_000,
  /** No byte in either direction, e.g. a client that stops reading its answer. */
  socketTimeoutMs: 30_000,
  /** How often Node checks the header and request deadlines (its default, 30 s, would let them slip by 30 s). */
  checkIntervalMs: 1_000,
} as const;

export type TlsMinVersion = 'TLSv1.2' | 'TLSv1.3';

export interface TlsServing {
  readonly pair: { readonly certPem: string; readonly keyPem: string };
  /** PEM bundle a client certificate must chain to; undefined = no client authentication. */
  readonly clientCa: string | undefined;
  readonly minVersion: TlsMinVersion;
}

/** One secure context for the serving pair, the client CA and the TLS floor (setSecureContext replaces all three). */
export function secureContextOptions(serving: TlsServing): SecureContextOptions {
  return {
    cert: serving.pair.certPem,
    key: serving.pair.keyPem,
    minVersion: serving.minVersion,
    ...(serving.clientCa === undefined ? {} : { ca: serving.clientCa }),
  };
}

/** Options for https.createServer (through Fastify's `https`); Node's default ciphers are kept. */
export function tlsServerOptions(serving: TlsServing): HttpsServerOptions {
  const clientAuth = serving.clientCa !== undefined;
  return {
    ...secureContextOptions(serving),
    // With a client CA, no certificate or one from another CA fails the handshake: the client gets no answer.
    requestCert: clientAuth,
    rejectUnauthorized: clientAuth,
    handshakeTimeout: SERVER_LIMITS.handshakeTimeoutMs,
    headersTimeout: SERVER_LIMITS.headersTimeoutMs,
    requestTimeout: SERVER_LIMITS.requestTimeoutMs,
    connectionsCheckingInterval: SERVER_LIMITS.checkIntervalMs,
  };
}

/**
 * Sets the limits Fastify overwrites after creating the server (its own defaults: no request timeout, 72 s
 * keep-alive), and, with `acceptPeer`, ends any verified connection whose certificate it does not accept.
 */
export function hardenServer(
  server: HttpsServer,
  options: { readonly acceptPeer?: (peer: PeerCertificate) => boolean; readonly logger: Logger },
): void {
  server.requestTimeout = SERVER_LIMITS.requestTimeoutMs;
  server.headersTimeout = SERVER_LIMITS.headersTimeoutMs;
  server.keepAliveTimeout = SERVER_LIMITS.keepAliveTimeoutMs;
  server.setTimeout(SERVER_LIMITS.socketTimeoutMs);
  const { acceptPeer } = options;
  if (acceptPeer === undefined) return;
  // Registered after the HTTP layer's own listener, but in the same turn: the socket is gone before it is read.
  server.on('secureConnection', (socket: TLSSocket) => {
    if (acceptPeer(socket.getPeerCertificate())) return;
    options.logger.warn({ remoteAddress: socket.remoteAddress }, 'closed a TLS connection: the client certificate carries none of CLIENT_ALLOWED_NAMES');
    socket.destroy();
  });
}
