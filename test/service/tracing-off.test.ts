// Tracing is off unless an OTLP endpoint is set, and off means no cost: with the preload in front
// of the built service (as in the image) and no endpoint, none of the OpenTelemetry SDK, its
// exporter or its instrumentation is loaded. Which bundle file holds which package comes from
// the build's own metafile (scripts/build.ts); which files the process loaded comes from Node's
// module hooks. The one @opentelemetry package prom-client itself requires (the API, for its
// own exemplar support) is expected: it registers nothing and does nothing until an SDK does.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { BUNDLE_META } from '../../scripts/build.js';
import { otlpReceiverFor } from '../helpers/otlp-receiver.js';
import { REPO_ROOT, repoPath } from '../helpers/paths.js';
import { serviceFor } from '../helpers/service.js';
import { tempDirFor } from '../helpers/temp-dir.js';
import { TRACING_PRELOAD } from '../helpers/tracing.js';

interface Metafile {
  outputs: Record<string, { inputs: Record<string, unknown> }>;
}

/** The @opentelemetry (and @fastify/otel) packages bundled into each output file. */
function packagesByOutput(): Map<string, Set<string>> {
  assert.ok(existsSync(BUNDLE_META), `${BUNDLE_META} is missing: run "npm run build" first`);
  const meta = JSON.parse(readFileSync(BUNDLE_META, 'utf8')) as Metafile;
  const byOutput = new Map<string, Set<string>>();
  for (const [output, { inputs }] of Object.entries(meta.outputs)) {
    const packages = new Set<string>();
    for (const input of Object.keys(inputs)) {
      const name = /node_modules\/(@opentelemetry\/[^/]+|@fastify\/otel)\//.exec(input)?.[1];
      if (name !== undefined) packages.add(name);
    }
    byOutput.set(output, packages);
  }
  return byOutput;
}

/** The OpenTelemetry packages in the bundle files a run of the service loaded. */
async function loadedPackages(
  t: Parameters<typeof tempDirFor>[0],
  env: Record<string, string>,
): Promise<Set<string>> {
  const out = join(tempDirFor(t, 'loaded'), 'loaded.json');
  const service = await serviceFor(t, {
    nodeArgs: [
      '--import',
      repoPath('test/service/fixtures/record-loaded-files.ts'),
      '--import',
      TRACING_PRELOAD,
    ],
    env: { LOADED_FILES_OUT: out, ...env },
  });
  await (await fetch(`${service.url}/`)).text();
  assert.deepEqual(await service.stop('SIGTERM'), { code: 0, signal: null });
  const files = (JSON.parse(readFileSync(out, 'utf8')) as string[])
    .filter((url) => url.startsWith('file:'))
    .map((url) => relative(REPO_ROOT, fileURLToPath(url)));
  const byOutput = packagesByOutput();
  const packages = new Set<string>();
  for (const file of files) for (const name of byOutput.get(file) ?? []) packages.add(name);
  assert.ok(
    files.includes('dist/server.js'),
    `dist/server.js among the loaded files: ${files.join(', ')}`,
  );
  return packages;
}

const SDK_PACKAGES = [
  '@fastify/otel',
  '@opentelemetry/exporter-trace-otlp-proto',
  '@opentelemetry/instrumentation-http',
  '@opentelemetry/sdk-trace',
];

test(
  'tracing off (no endpoint): no SDK, exporter or instrumentation is loaded',
  { timeout: 60_000 },
  async (t) => {
    const packages = await loadedPackages(t, { SHUTDOWN_DELAY_MS: '0' });
    assert.deepEqual([...packages].sort(), ['@opentelemetry/api']);
  },
);

test(
  'tracing on: the same check sees the SDK, exporter and instrumentations loaded',
  { timeout: 60_000 },
  async (t) => {
    const receiver = await otlpReceiverFor(t);
    const packages = await loadedPackages(t, {
      SHUTDOWN_DELAY_MS: '0',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
    });
    for (const name of SDK_PACKAGES) assert.ok(packages.has(name), `${name} loaded`);
  },
);

test(
  'an endpoint with OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none loads no SDK and sends nothing',
  { timeout: 60_000 },
  async (t) => {
    const receiver = await otlpReceiverFor(t);
    const switches: Record<string, string>[] = [
      { OTEL_SDK_DISABLED: 'true' },
      { OTEL_TRACES_EXPORTER: 'none' },
    ];
    for (const off of switches) {
      const packages = await loadedPackages(t, {
        SHUTDOWN_DELAY_MS: '0',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
        ...off,
      });
      assert.deepEqual([...packages].sort(), ['@opentelemetry/api'], JSON.stringify(off));
    }
    assert.equal(receiver.requests, 0, 'export requests');
  },
);
