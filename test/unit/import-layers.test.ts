// Guards the layout for everyone: walks every import under src/ (static, type-only and dynamic) and fails on an
// import cycle or on an edge the layering does not allow:
//   common < ecr < admission < http;  tls over common;  webhook over all of those;  refresher over common only;
//   mirror over common and ecr (its SDK calls live in ecr); migrate over common, ecr and admission (pure parts);
//   cli.ts: the programs' config statically, their mains only lazily (import()), so each loads only when it runs.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { REPO_ROOT } from '../../harness/tools.js';

const SRC = join(REPO_ROOT, 'src');

/** The folders each folder may import from (its own included). */
const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  common: ['common'],
  ecr: ['common', 'ecr'],
  admission: ['common', 'ecr', 'admission'],
  http: ['common', 'ecr', 'admission', 'http'],
  tls: ['common', 'tls'],
  webhook: ['common', 'ecr', 'admission', 'http', 'tls', 'webhook'],
  refresher: ['common', 'refresher'],
  mirror: ['common', 'ecr', 'mirror'],
  // It reads peers' dockerconfigjson keys exactly as the webhook does (admission/docker-config.ts, pure).
  migrate: ['common', 'ecr', 'admission', 'migrate'],
};
const CLI_STATIC = ['common/', 'webhook/config.ts', 'refresher/config.ts', 'mirror/config.ts', 'migrate/config.ts'];
/** Upward edges allowed for now (none): a change that must add one names it here, and removes it when it is gone. */
const KNOWN_UPWARD: readonly string[] = [];
const CLI_LAZY = ['webhook/main.ts', 'refresher/main.ts', 'mirror/main.ts', 'migrate/main.ts'];

interface Edge {
  readonly from: string;
  readonly to: string;
  readonly lazy: boolean;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

/** Relative imports of one file, as paths under src/ ending in .ts. */
function importsOf(file: string): Edge[] {
  const text = readFileSync(file, 'utf8');
  const from = relative(SRC, file);
  const edges: Edge[] = [];
  const add = (specifier: string, lazy: boolean): void => {
    if (!specifier.startsWith('.')) return; // node: builtins and packages
    edges.push({ from, to: relative(SRC, resolve(dirname(file), specifier.replace(/\.js$/, '.ts'))), lazy });
  };
  for (const match of text.matchAll(/^\s*(?:import|export)\s[^;]*?\sfrom\s+'([^']+)'/gms)) add(match[1]!, false);
  for (const match of text.matchAll(/^\s*import\s+'([^']+)'/gm)) add(match[1]!, false);
  for (const match of text.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g)) add(match[1]!, true);
  return edges;
}

const files = sourceFiles(SRC);
const edges = files.flatMap(importsOf);
const folderOf = (path: string): string => (path.includes('/') ? path.split('/')[0]! : path);

/** Every cycle's path, found by depth-first search over the whole graph. */
function cycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): void => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'open') found.push([...stack.slice(stack.indexOf(next)), next]);
      else if (state.get(next) === undefined) visit(next);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of graph.keys()) if (state.get(node) === undefined) visit(node);
  return found;
}

describe('src/ import graph', () => {
  it('sees the files and their imports (a parser that finds nothing would pass everything)', () => {
    assert.ok(files.length > 50, `${files.length} files`);
    assert.ok(edges.some((edge) => edge.from === 'refresher/run.ts' && edge.to === 'common/pool.ts'));
    assert.ok(edges.some((edge) => edge.from === 'cli.ts' && edge.to === 'refresher/main.ts' && edge.lazy));
  });

  it('imports only files that exist', () => {
    const known = new Set(files.map((file) => relative(SRC, file)));
    assert.deepEqual(edges.filter((edge) => !known.has(edge.to)), []);
  });

  it('has no cycle', () => {
    const graph = new Map<string, string[]>(files.map((file) => [relative(SRC, file), []]));
    for (const edge of edges) graph.get(edge.from)?.push(edge.to);
    assert.deepEqual(cycles(graph).map((cycle) => cycle.join(' → ')), []);
  });

  it('has no upward edge: each folder imports only the folders below it', () => {
    const upward = edges
      .filter((edge) => edge.from !== 'cli.ts')
      .filter((edge) => !(ALLOWED[folderOf(edge.from)] ?? []).includes(folderOf(edge.to)))
      .map((edge) => `${edge.from} → ${edge.to}`);
    assert.deepEqual(upward.filter((edge) => !KNOWN_UPWARD.includes(edge)), []);
    assert.deepEqual(KNOWN_UPWARD.filter((edge) => !upward.includes(edge)), [], 'fixed: remove it from KNOWN_UPWARD');
  });

  it('keeps the refresher free of the webhook side', () => {
    const crossing = edges.filter((edge) => folderOf(edge.from) === 'refresher' && folderOf(edge.to) !== 'refresher' && folderOf(edge.to) !== 'common');
    assert.deepEqual(crossing, []);
  });

  it('lets cli.ts load the programs\' configs at start and each program only when it runs', () => {
    const fromCli = edges.filter((edge) => edge.from === 'cli.ts');
    const wrong = fromCli
      .filter((edge) => (edge.lazy ? !CLI_LAZY.includes(edge.to) : !CLI_STATIC.some((allowed) => (allowed.endsWith('/') ? edge.to.startsWith(allowed) : edge.to === allowed))))
      .map((edge) => `${edge.lazy ? 'import()' : 'import'} ${edge.to}`);
    assert.deepEqual(wrong, []);
  });
});
