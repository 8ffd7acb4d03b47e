// `npm run build`: bundles src/server.ts and everything it imports into dist/server.js with
// esbuild. One file instead of ~1,000 ESM/CJS modules halves start-up time (module resolution and
// compilation dominated it: see docs/performance.md). Type checking is separate (`make
// typecheck`, and a test in `make test`).
// Usage: tsx scripts/build.ts [--no-sourcemap]
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * Packages left out of the bundle and loaded from node_modules at run time: @fastify/swagger-ui
 * serves its static files from paths relative to its own source (__dirname).
 */
export const EXTERNAL_PACKAGES = ['@fastify/swagger-ui'];

export async function buildService(options: { sourcemap: boolean }): Promise<void> {
  rmSync(`${ROOT}dist`, { recursive: true, force: true });
  await build({
    entryPoints: [`${ROOT}src/server.ts`],
    outfile: `${ROOT}dist/server.js`,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    external: EXTERNAL_PACKAGES,
    // Fastify and prom-client are CommonJS and call require() for Node built-ins, which an ESM
    // bundle only has through createRequire.
    banner: {
      js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
    },
    // Whitespace and syntax only: identifiers keep their names, so stack traces and the error
    // names Fastify checks stay readable.
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: 'none',
    sourcemap: options.sourcemap,
    logLevel: 'warning',
  });
}

if (import.meta.url === `file://${process.argv[1] ?? ''}`) {
  await buildService({ sourcemap: !process.argv.includes('--no-sourcemap') });
}
