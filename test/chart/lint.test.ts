// `helm lint --strict` on the default values and on edge values: every template renders and is well-formed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CHART_DIR, MINIMAL_VALUES, runTool, withValuesFile } from '../../harness/helm.js';
import { EDGE_VALUES } from './value-sets.js';

async function lint(values: unknown): Promise<{ code: number; output: string }> {
  return withValuesFile(values, async (file) => {
    const result = await runTool('helm', ['lint', '--strict', CHART_DIR, '--values', file]);
    return { code: result.code, output: result.stdout + result.stderr };
  });
}

describe('helm lint --strict', () => {
  it('passes with only aws.region set', async () => {
    const { code, output } = await lint(MINIMAL_VALUES);
    assert.equal(code, 0, output);
    assert.match(output, /1 chart\(s\) linted, 0 chart\(s\) failed/);
  });

  for (const [name, values] of Object.entries(EDGE_VALUES)) {
    it(`passes with the ${name} values`, async () => {
      const { code, output } = await lint(values);
      assert.equal(code, 0, output);
    });
  }

  it('passes with no values at all, reporting the missing region (helm lint tolerates required values)', async () => {
    const { code, output } = await lint({});
    assert.equal(code, 0, output);
    assert.match(output, /Missing required value: aws\.region is required/);
  });
});
