// The build's guard that dist/bundle needs nothing but Node: which imports esbuild left outside count as foreign.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Metafile } from 'esbuild';
import { foreignImports } from '../../build/bundle.js';

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
