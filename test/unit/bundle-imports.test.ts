// The build's guards: dist/bundle needs nothing but Node (which imports esbuild left outside count as foreign), and
// no dynamic import targets CommonJS (bundled, it would have only a default export).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Metafile } from 'esbuild';
import { commonJsDynamicImports, foreignImports } from '../../build/bundle.js';

function metafileImporting(...paths: string[]): Metafile {
  const imports = paths.map((path) => ({ path, kind: 'import-statement' as const, external: true }));
  return { inputs: {}, outputs: { 'dist/bundle/cli.mjs': { bytes: 1, inputs: {}, imports: [...imports, { path: 'dist/bundle/chunks/a.mjs', kind: 'import-statement', external: false }], exports: [] } } };
}

describe('foreignImports', () => {
  it('accepts Node built-ins, with or without node:, and the optional helpers our dependencies do without', () => {
    assert.deepEqual(foreignImports(metafileImporting('node:fs', 'crypto', 'node:test', 'encoding', 'bufferutil', 'utf-8-validate')), []);
  });

  it('names every other import left outside the bundle, with its file', () => {
    assert.deepEqual(foreignImports(metafileImporting('node:fs', 'fastify', '@kubernetes/client-node')), [
      'dist/bundle/cli.mjs: fastify',
      'dist/bundle/cli.mjs: @kubernetes/client-node',
    ]);
  });
});

function metafileWithInputs(inputs: Record<string, { format?: 'cjs' | 'esm'; imports: Array<{ path: string; kind: 'dynamic-import' | 'import-statement'; original?: string }> }>): Metafile {
  return { inputs: Object.fromEntries(Object.entries(inputs).map(([file, input]) => [file, { bytes: 1, ...input }])), outputs: {} };
}

describe('commonJsDynamicImports', () => {
  const sdk = 'node_modules/@aws-sdk/client-sts/dist-cjs/index.js';
  const ours = 'dist/src/ecr/sts-sdk.js';

  it('names a lazy import whose target is CommonJS, as it was written', () => {
    const metafile = metafileWithInputs({
      'dist/src/ecr/role-credentials.js': { format: 'esm', imports: [{ path: sdk, kind: 'dynamic-import', original: '@aws-sdk/client-sts' }] },
      [sdk]: { format: 'cjs', imports: [] },
    });
    assert.deepEqual(commonJsDynamicImports(metafile), ['dist/src/ecr/role-credentials.js: import(@aws-sdk/client-sts)']);
  });

  it('accepts a lazy import of an ES module that imports the CommonJS package statically', () => {
    const metafile = metafileWithInputs({
      'dist/src/ecr/role-credentials.js': { format: 'esm', imports: [{ path: ours, kind: 'dynamic-import', original: './sts-sdk.js' }] },
      [ours]: { format: 'esm', imports: [{ path: sdk, kind: 'import-statement', original: '@aws-sdk/client-sts' }] },
      [sdk]: { format: 'cjs', imports: [] },
    });
    assert.deepEqual(commonJsDynamicImports(metafile), []);
  });
});
