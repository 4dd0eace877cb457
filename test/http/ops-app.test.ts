import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMetricsRegistry } from '../../src/common/metrics.js';
import type { EcrToken } from '../../src/ecr/token.js';
import { registerWebhookMetrics } from '../../src/http/metrics.js';
import { buildOpsApp } from '../../src/http/ops-app.js';

describe('ops endpoints', () => {
  it('reports liveness always and readiness only when ready', async () => {
    let ready = false;
    const app = buildOpsApp({ registry: createMetricsRegistry({ processMetrics: false }), isReady: () => ready });
    assert.equal((await app.inject('/healthz')).statusCode, 200);
    assert.equal((await app.inject('/readyz')).statusCode, 503);
    ready = true;
    assert.equal((await app.inject('/readyz')).statusCode, 200);
    await app.close();
  });

  it('serves Prometheus text with every series prefixed, including token time-to-expiry per region', async () => {
    const registry = createMetricsRegistry({ processMetrics: true });
    const now = new Date('2026-11-21T00:00:00Z');
    const held: EcrToken[] = [{ region: 'us-east-1', password: 'p', proxyHost: 'h', expiresAt: new Date('2026-11-21T12:00:00Z'), fetchedAt: now }];
    const metrics = registerWebhookMetrics(registry, () => held, () => now);
    metrics.admissions.inc({ outcome: 'patched' });
    const app = buildOpsApp({ registry, isReady: () => true });
    const reply = await app.inject('/metrics');
    assert.equal(reply.statusCode, 200);
    assert.match(reply.headers['content-type'] as string, /^text\/plain/);
    assert.match(reply.body, /ecr_anywhere_token_expiry_seconds\{region="us-east-1"\} 43200/);
    assert.match(reply.body, /ecr_anywhere_admissions_total\{outcome="patched"\} 1/);
    const names = reply.body.split('\n').filter((line) => line.startsWith('# TYPE')).map((line) => line.split(' ')[2]!);
    assert.ok(names.length > 5 && names.every((name) => name.startsWith('ecr_anywhere_')), names.join(' '));
    await app.close();
  });
});
