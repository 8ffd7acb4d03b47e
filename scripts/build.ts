// `npm run build`: bundles the two process entries with esbuild: src/server.ts into
// dist/server.js and the tracing preload src/tracing-preload.ts into dist/tracing-preload.js,
// with the code they share (the configuration, the tracing handle) and the OpenTelemetry SDK in
// chunks beside them. A few files instead of ~1,000 ESM/CJS modules halves start-up time (module
// resolution and compilation dominated it: see docs/performance.md). The SDK's chunk is reached
// only by the preload's dynamic import, so with tracing off it is never read. The build's
// metafile (which source went into which output) is written to .tmp/bundle-meta.json for the
// tests. Type checking is separate (`make typecheck`, and a test in `make test`).
// Usage: tsx scripts/build.ts [--no-sourcemap]
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, posix, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Which inputs each output holds; test/service/tracing-off.test.ts reads it. */
export const BUNDLE_META = `${ROOT}.tmp/bundle-meta.json`;

/** The one package whose files the service reads at run time: the Swagger UI's static assets. */
const SWAGGER_UI = '@fastify/swagger-ui';
const SWAGGER_UI_FILE = /[\\/]node_modules[\\/]@fastify[\\/]swagger-ui[\\/](.*\.[cm]?js)$/;

/**
 * @fastify/swagger-ui finds its static files (the UI, the logo) through __dirname, which in the
 * bundle would be dist/. Its code is bundled like everything else (loading it as ~60 separate
 * CommonJS modules cost a fifth of start-up), each __dirname in it is pointed at dist/swagger-ui/,
 * and its static/ folder (the only files it reads at run time) is copied there: dist/ is then all
 * the service needs, without node_modules (the container image ships nothing else).
 */
const swaggerUiAssets: Plugin = {
  name: 'swagger-ui-assets',
  setup(builder) {
    builder.onLoad({ filter: SWAGGER_UI_FILE }, async (args) => {
      const inPackage = SWAGGER_UI_FILE.exec(args.path)?.[1] ?? '';
      const directory = posix.dirname(inPackage.split(sep).join('/'));
      const source = await readFile(args.path, 'utf8');
      const here = `__swaggerUiPath(${JSON.stringify(directory)})`;
      return { contents: source.replaceAll('__dirname', here), loader: 'js' };
    });
  },
};

async function buildService(options: { sourcemap: boolean }): Promise<void> {
  rmSync(`${ROOT}dist`, { recursive: true, force: true });
  const result = await build({
    entryPoints: {
      server: `${ROOT}src/server.ts`,
      'tracing-preload': `${ROOT}src/tracing-preload.ts`,
    },
    outdir: `${ROOT}dist`,
    // Chunks sit beside the entries, in dist/ itself: import.meta paths (../package.json, the
    // Swagger UI's files) mean the same in every output file.
    chunkNames: '[name]-[hash]',
    splitting: true,
    // The ES module build where a package has one (the OpenTelemetry packages do), so esbuild
    // can drop what the service never calls: 200 kB less in the SDK chunk. The app's own
    // dependencies have no "module" field or an exports map, so their files are unchanged.
    mainFields: ['module', 'main'],
    metafile: true,
    bundle: true,
    platform: 'node',
    // The node running the build: under make and in the image that is the version .nvmrc pins.
    target: `node${process.versions.node}`,
    format: 'esm',
    plugins: [swaggerUiAssets],
    // Fastify and prom-client are CommonJS and call require() for Node built-ins, which an ESM
    // bundle only has through createRequire. __swaggerUiPath serves swaggerUiAssets above.
    banner: {
      js: [
        "import { createRequire as __createRequire } from 'node:module';",
        "import { join as __joinPath } from 'node:path';",
        'const require = __createRequire(import.meta.url);',
        "const __swaggerUiRoot = __joinPath(import.meta.dirname, 'swagger-ui');",
        'const __swaggerUiPath = (directory) => __joinPath(__swaggerUiRoot, directory);',
      ].join(' '),
    },
    // Whitespace and syntax only: identifiers keep their names, so stack traces and the error
    // names Fastify checks stay readable.
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: 'none',
    sourcemap: options.sourcemap,
    logLevel: 'warning',
  });
  mkdirSync(dirname(BUNDLE_META), { recursive: true });
  writeFileSync(BUNDLE_META, JSON.stringify(result.metafile));
  const swaggerUi = dirname(createRequire(import.meta.url).resolve(`${SWAGGER_UI}/package.json`));
  cpSync(join(swaggerUi, 'static'), `${ROOT}dist/swagger-ui/static`, { recursive: true });
}

if (import.meta.url === `file://${process.argv[1] ?? ''}`)
  await buildService({ sourcemap: !process.argv.includes('--no-sourcemap') });
