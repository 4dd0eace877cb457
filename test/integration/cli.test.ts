// The CLI's own answers, as a user sees them: exit codes and messages without any cluster.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from '../../harness/cli-process.js';

describe('ecr-anywhere CLI', () => {
  const emptyHome = mkdtempSync(join(tmpdir(), 'ecr-anywhere-home-'));

  it('refresh and status say clearly that no cluster is configured, instead of trying localhost:8080', async () => {
    for (const command of ['refresh', 'status']) {
      const result = await runCli([command], { env: { HOME: emptyHome } });
      assert.equal(result.code, 1, command);
      assert.match(`${result.stdout}${result.stderr}`, /no Kubernetes cluster configured: run in a pod, or set KUBECONFIG \/ --kubeconfig/, command);
    }
  });

  it('an unknown command exits 2 with the usage', async () => {
    const result = await runCli(['serve']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /unknown command "serve"[\s\S]*Commands:/);
  });

  it('--help lists every command', async () => {
    const result = await runCli(['--help']);
    assert.equal(result.code, 0);
    for (const command of ['webhook', 'refresh', 'status']) assert.match(result.stdout, new RegExp(`^  ${command} `, 'm'));
  });
});
