// Plain-HTTP operations port: liveness, readiness and Prometheus metrics. Nothing secret is served here.
import Fastify, { type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';

export interface OpsAppOptions {
  readonly registry: Registry;
  /** Ready only once a certificate is loaded and the TLS listener is up, and no longer once shutting down. */
  readonly isReady: () => boolean;
}

export function buildOpsApp(options: OpsAppOptions): FastifyInstance {
  const app = Fastify({ logger: false });
  app.get('/healthz', (_request, reply) => reply.send({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) =>
    options.isReady() ? { status: 'ready' } : reply.code(503).send({ status: 'not ready' }),
  );
  app.get('/metrics', async (_request, reply) =>
    reply.header('content-type', options.registry.contentType).send(await options.registry.metrics()),
  );
  return app;
}
