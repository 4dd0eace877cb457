// values.yaml is the chart's documentation: every value has a comment, and values.schema.json declares every key
// and closes every object, so a typo is an error instead of a silently ignored setting.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isMap, isScalar, parseDocument, type YAMLMap } from 'yaml';
import { CHART_DIR } from '../../harness/helm.js';

interface SchemaNode {
  type?: string | string[];
  properties?: Record<string, SchemaNode>;
  additionalProperties?: boolean | SchemaNode;
  items?: SchemaNode;
  anyOf?: SchemaNode[];
  $ref?: string;
  description?: string;
  $defs?: Record<string, SchemaNode>;
}

async function loadSchema(): Promise<SchemaNode> {
  return JSON.parse(await readFile(join(CHART_DIR, 'values.schema.json'), 'utf8')) as SchemaNode;
}

function resolve(schema: SchemaNode, node: SchemaNode): SchemaNode {
  if (!node.$ref) return node;
  const name = node.$ref.replace('#/$defs/', '');
  const target = schema.$defs?.[name];
  assert.ok(target, `unresolved $ref ${node.$ref}`);
  return resolve(schema, target);
}

/**
 * Leaf keys of values.yaml with whether a comment documents them. As with helm-docs, a `# --` comment on a key whose
 * value is a map (e.g. `resources`) documents that whole map.
 */
function documentedLeaves(map: YAMLMap, path: string, out: Array<{ path: string; documented: boolean }>): void {
  map.items.forEach((pair, index) => {
    const key = isScalar(pair.key) ? String(pair.key.value) : '?';
    const keyComment = isScalar(pair.key) ? pair.key.commentBefore : undefined;
    // The yaml parser attaches the comment above a map's first key to the map itself.
    const documented = Boolean(keyComment?.trim()) || (index === 0 && Boolean(map.commentBefore?.trim()));
    const documentsWholeMap = /^\s*--/.test(keyComment ?? '') || (index === 0 && /^\s*--/.test(map.commentBefore ?? ''));
    if (isMap(pair.value) && pair.value.items.length > 0 && !documentsWholeMap) documentedLeaves(pair.value, `${path}${key}.`, out);
    else out.push({ path: `${path}${key}`, documented });
  });
}

describe('values.yaml', () => {
  it('has a comment on every value', async () => {
    const document = parseDocument(await readFile(join(CHART_DIR, 'values.yaml'), 'utf8'));
    assert.ok(isMap(document.contents));
    const leaves: Array<{ path: string; documented: boolean }> = [];
    documentedLeaves(document.contents, '', leaves);
    assert.ok(leaves.length > 80, `expected the whole values tree, found ${leaves.length} leaves`);
    assert.deepEqual(leaves.filter((leaf) => !leaf.documented).map((leaf) => leaf.path), []);
  });

  it('lists every value in the docs/chart.md values table', async () => {
    const document = parseDocument(await readFile(join(CHART_DIR, 'values.yaml'), 'utf8'));
    assert.ok(isMap(document.contents));
    const leaves: Array<{ path: string; documented: boolean }> = [];
    documentedLeaves(document.contents, '', leaves);
    const docs = await readFile(join(CHART_DIR, '..', 'docs', 'chart.md'), 'utf8');
    assert.deepEqual(leaves.map((leaf) => leaf.path).filter((path) => !docs.includes(`| \`${path}\` |`)), []);
  });

  it('declares every key of values.yaml in the schema', async () => {
    const schema = await loadSchema();
    const values = parseDocument(await readFile(join(CHART_DIR, 'values.yaml'), 'utf8')).toJS() as Record<string, unknown>;
    const undeclared: string[] = [];
    const walk = (value: unknown, node: SchemaNode, path: string): void => {
      const resolved = resolve(schema, node);
      if (value === null || typeof value !== 'object' || Array.isArray(value) || !resolved.properties) return;
      for (const [key, child] of Object.entries(value)) {
        const childSchema = resolved.properties[key];
        if (childSchema) walk(child, childSchema, `${path}${key}.`);
        else if (resolved.additionalProperties === false) undeclared.push(`${path}${key}`);
      }
    };
    walk(values, schema, '');
    assert.deepEqual(undeclared, []);
  });
});

describe('values.schema.json', () => {
  it('closes every object it defines (additionalProperties: false)', async () => {
    const schema = await loadSchema();
    const open: string[] = [];
    const walk = (node: SchemaNode, path: string): void => {
      if (node.properties) {
        if (node.additionalProperties !== false) open.push(path || '(root)');
        for (const [key, child] of Object.entries(node.properties)) walk(child, `${path}/${key}`);
      }
      if (node.items) walk(node.items, `${path}[]`);
      node.anyOf?.forEach((choice, index) => walk(choice, `${path}|${index}`));
    };
    walk(schema, '');
    for (const [name, definition] of Object.entries(schema.$defs ?? {})) walk(definition, `$defs/${name}`);
    assert.deepEqual(open, []);
  });

  it('leaves open only Kubernetes objects passed through to the API server, and says so', async () => {
    const schema = await loadSchema();
    const freeForm = Object.entries(schema.$defs ?? {}).filter(
      ([, node]) => node.type === 'object' && !node.properties && node.additionalProperties === undefined,
    );
    assert.deepEqual(freeForm.map(([name]) => name), ['kubernetesObject']);
    for (const [, node] of freeForm) assert.match(node.description ?? '', /passed through unchanged; the API server validates/);
  });
});
