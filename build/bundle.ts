// What ships: the compiled CLI bundled by esbuild into dist/bundle/ (cli.mjs plus one chunk per lazily loaded
// program), needing nothing but Node at run time. Loading ~1 500 separate modules (client-node alone brings every API
// group and model) costs ~48 MB of resident memory that the refresher and the webhook then carry for their whole
// life; one tree-shaken bundle per program does not (measured in docs/benchmarks.md).
//
//   node dist/build/bundle.js            bundles dist/src/cli.js into dist/bundle/ (npm run build does this)
//
// The build fails when any import is left outside the bundle other than Node's own modules and the optional ones
// below (the image holds no node_modules, so such an import would fail only in a cluster), and when our code
// lazily imports a package itself: esbuild gives a dynamically imported CommonJS package (the AWS SDK) only a default
// export, so its named exports would be undefined in the bundle alone. Lazy loads go through a module of ours that
// imports the package statically (src/ecr/sts-sdk.ts); a CommonJS target of any dynamic import fails the build.
import { build, type Metafile } from 'esbuild';
import { isBuiltin } from 'node:module';
import { fileURLToPath } from 'node:url';

/** Where the shipped CLI is written. */
export const BUNDLE_DIR = fileURLToPath(new URL('../bundle/', import.meta.url));
/** The shipped entry point. */
export const BUNDLED_CLI = fileURLToPath(new URL('../bundle/cli.mjs', import.meta.url));
const COMPILED_CLI = fileURLToPath(new URL('../src/cli.js', import.meta.url));

/** CommonJS dependencies (the AWS SDK, node-forge…) call require(): ES module output gets a real one. */
const REQUIRE_SHIM = "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";

export interface BundleOptions {
  /** Compiled JavaScript entry points (dist/…); each becomes `<name>.mjs` in `outdir`. */
  readonly entryPoints: readonly string[];
  readonly outdir: string;
}

/**
 * Optional native helpers our dependencies try to require inside try/catch and do without (they are not installed
 * in node_modules either): node-fetch's `encoding` (non-UTF-8 bodies, which the API server never sends) and ws's
 * `bufferutil` / `utf-8-validate` (speed-ups for WebSocket frames).
 */
export const OPTIONAL_IMPORTS: ReadonlySet<string> = new Set(['encoding', 'bufferutil', 'utf-8-validate']);

/** Imports left outside the bundle that are not Node's own modules, as `output file: import` lines. */
export function foreignImports(metafile: Metafile): string[] {
  return Object.entries(metafile.outputs).flatMap(([file, output]) =>
    output.imports.filter((entry) => entry.external && !isBuiltin(entry.path) && !OPTIONAL_IMPORTS.has(entry.path)).map((entry) => `${file}: ${entry.path}`),
  );
}

/** Dynamic imports of a CommonJS module, as `importing file: import(module)` lines. */
export function commonJsDynamicImports(metafile: Metafile): string[] {
  return Object.entries(metafile.inputs).flatMap(([file, input]) =>
    input.imports
      .filter((entry) => entry.kind === 'dynamic-import' && metafile.inputs[entry.path]?.format === 'cjs')
      .map((entry) => `${file}: import(${entry.original ?? entry.path})`),
  );
}

export async function bundle(options: BundleOptions): Promise<Metafile> {
  const result = await build({
    entryPoints: [...options.entryPoints],
    outdir: options.outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    outExtension: { '.js': '.mjs' },
    entryNames: '[name]',
    chunkNames: 'chunks/[name]-[hash]',
    banner: { js: REQUIRE_SHIM },
    // Less source held in memory (~8 MB less resident for the refresher); identifiers stay, so stack traces keep names.
    minifyWhitespace: true,
    minifySyntax: true,
    metafile: true,
    logLevel: 'warning',
  });
  const foreign = foreignImports(result.metafile);
  if (foreign.length > 0) throw new Error(`the bundle would need modules that are not in it:\n${foreign.join('\n')}`);
  const lazyPackages = commonJsDynamicImports(result.metafile);
  if (lazyPackages.length > 0) {
    throw new Error(`import a package lazily through a module of ours that imports it statically (a bundled dynamic import of CommonJS has only a default export):\n${lazyPackages.join('\n')}`);
  }
  return result.metafile;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await bundle({ entryPoints: [COMPILED_CLI], outdir: BUNDLE_DIR });
}
