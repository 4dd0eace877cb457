// A test client for the webhook's TLS port that can present a client certificate (or none), pin TLS versions, and
// say exactly how an exchange ended: an HTTP answer, or no answer at all (handshake refused, socket closed).
import { request } from 'node:https';
import { connect, type SecureVersion, type TLSSocket } from 'node:tls';
import type { PemPair } from '../src/tls/certificates.js';

export interface TlsClientOptions {
  readonly port: number;
  /** CA bundle that signed the webhook's serving certificate. */
  readonly ca: string;
  readonly client?: PemPair;
  readonly minVersion?: SecureVersion;
  readonly maxVersion?: SecureVersion;
  readonly ciphers?: string;
}

export type Exchange =
  | { readonly answered: true; readonly status: number; readonly body: string; readonly protocol: string | null }
  | { readonly answered: false; readonly error: string };

/** POSTs `body` as JSON; resolves with the answer or with why there was none (never rejects). */
export function exchange(options: TlsClientOptions, path: string, body: unknown): Promise<Exchange> {
  const payload = JSON.stringify(body);
  return new Promise((resolve) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: options.port,
        path,
        method: 'POST',
        agent: false,
        ca: options.ca,
        ...(options.client ? { cert: options.client.certPem, key: options.client.keyPem } : {}),
        ...(options.minVersion ? { minVersion: options.minVersion } : {}),
        ...(options.maxVersion ? { maxVersion: options.maxVersion } : {}),
        ...(options.ciphers ? { ciphers: options.ciphers } : {}),
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        const protocol = (res.socket as TLSSocket).getProtocol();
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ answered: true, status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), protocol }));
      },
    );
    req.setTimeout(15_000, () => req.destroy(new Error('no answer within 15 s')));
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ answered: false, error: `${error.code ?? ''} ${error.message}`.trim() }));
    req.end(payload);
  });
}

/** Opens a TLS connection, writes `text` and never more; resolves when the server closes it, with what it sent. */
export function stallAfter(options: TlsClientOptions, text: string, giveUpMs: number): Promise<{ readonly closedAfterMs: number | undefined; readonly received: string }> {
  return new Promise((resolve) => {
    const started = Date.now();
    let received = '';
    const socket = connect({
      host: '127.0.0.1',
      port: options.port,
      ca: options.ca,
      servername: 'localhost',
      ...(options.client ? { cert: options.client.certPem, key: options.client.keyPem } : {}),
    });
    const giveUp = setTimeout(() => {
      socket.destroy();
      resolve({ closedAfterMs: undefined, received });
    }, giveUpMs);
    socket.on('secureConnect', () => socket.write(text));
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('utf8')));
    socket.on('error', () => undefined); // the close that follows is what counts
    socket.on('close', () => {
      clearTimeout(giveUp);
      resolve({ closedAfterMs: Date.now() - started, received });
    });
  });
}
