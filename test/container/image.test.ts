// Builds the image from the Dockerfile and runs it with the hardening Kubernetes uses
// (read-only root, tmpfs /tmp, no capabilities, no new privileges), then checks what users of a
// production image rely on: non-root numeric user, the Node.js version .nvmrc pins, only the
// bundle inside (no node_modules) and under 5 MB above the base, the endpoints and the Swagger
// UI's static files through a published port, the build facts, the health check and graceful
// SIGTERM as PID 1; then the same Dockerfile on a distroless-shaped base (no shell, no npm).
// Needs podman or docker: skipped with one line without one, failed under CI=true.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { test, type TestContext } from 'node:test';
import { findEngine, type ContainerEngine } from '../../scripts/container/engine.js';
import { buildCommand, runCommand } from '../../scripts/container/image-commands.js';
import { ensureStandinBase } from '../../scripts/container/standin-base.js';
import { freePort } from '../../scripts/lib/free-port.js';
import { pollUntil } from '../../scripts/lib/poll.js';
import {
  dockerfileArg,
  engineOk,
  engineRun,
  inspectImage,
  layerSizes,
  megabytes,
  tryGet,
} from '../helpers/container.js';
import { REPO_ROOT, repoPath } from '../helpers/paths.js';
import { run } from '../helpers/run.js';
import { spansOf, SPAN_KIND } from '../helpers/otlp-receiver.js';
import { parseLogLines } from '../helpers/service.js';
import { callerSpan, IMAGE_ENTRYPOINT } from '../helpers/tracing.js';
import { IN_CI } from '../helpers/tools.js';

const APP_UID = '10001';
/**
 * The bundle and its chunks (about 2.2 MB, no source maps), the Swagger UI's files (2.5 MB),
 * package.json, build-info.json.
 */
const APP_LAYERS_LIMIT_BYTES = 5 * 1_000_000;
/** The one Node.js version of the project; the image must run exactly this one. */
const NODE_VERSION = `v${readFileSync(repoPath('.nvmrc'), 'utf8').trim()}`;
const SHUTDOWN_DELAY_MS = 1_000;
const SHUTDOWN_TIMEOUT_MS = 5_000;
const SHUTDOWN_LOG = [
  'shutdown started: readiness now 503, still serving during the drain delay',
  'drain delay over: no longer accepting connections, finishing in-flight requests',
  'shutdown complete: all requests finished, exiting 0',
];

/**
 * The Dockerfile's own pinned base when this machine has it or can pull it; else the stand-in
 * built from the host's Node.js (no registry is reachable from CI). CONTAINER_TEST_BASE_IMAGE
 * forces one.
 */
async function chooseBase(
  engine: ContainerEngine,
): Promise<{ base: string; buildArg: string | undefined; why: string }> {
  const forced = process.env.CONTAINER_TEST_BASE_IMAGE;
  if (forced) return { base: forced, buildArg: forced, why: 'CONTAINER_TEST_BASE_IMAGE' };
  const official = dockerfileArg('BASE_IMAGE');
  if ((await engineRun(engine, ['image', 'inspect', official])).code === 0) {
    return { base: official, buildArg: undefined, why: 'the Dockerfile default, present locally' };
  }
  const pull = await engineRun(engine, ['pull', official], 60_000);
  if (pull.code === 0) {
    return { base: official, buildArg: undefined, why: 'the Dockerfile default, pulled' };
  }
  const standin = await ensureStandinBase(engine, (line) => {
    console.log(`# ${line}`);
  });
  return {
    base: standin,
    buildArg: standin,
    why: `stand-in: ${official} cannot be pulled here (${pull.stderr.trim().split('\n').at(-1) ?? ''})`,
  };
}

async function engineOrSkip(t: TestContext): Promise<ContainerEngine | undefined> {
  const lookup = await findEngine();
  if (lookup.engine) return lookup.engine;
  if (IN_CI) assert.fail(`${lookup.reason}: required under CI=true; .ci/run must install podman`);
  t.skip(lookup.reason);
  return undefined;
}

/** Runs a script with the image's own node inside the running container (no shell needed). */
function nodeInContainer(engine: ContainerEngine, name: string, script: string): Promise<string> {
  return engineOk(engine, ['exec', name, 'node', '-e', script]);
}

/** What a script prints as JSON, run by nodeInContainer. */
async function jsonFromContainer(
  engine: ContainerEngine,
  name: string,
  script: string,
): Promise<unknown> {
  return JSON.parse(await nodeInContainer(engine, name, script));
}

/** Reads a file inside the running container (no cat needed). */
function readInContainer(engine: ContainerEngine, name: string, path: string): Promise<string> {
  return nodeInContainer(
    engine,
    name,
    `process.stdout.write(require('fs').readFileSync(${JSON.stringify(path)}, 'latin1'))`,
  );
}

function statusField(status: string, field: string): string {
  const match = new RegExp(`^${field}:\\s*(.*)$`, 'm').exec(status);
  assert.ok(match?.[1] !== undefined, `/proc/1/status has no ${field} line`);
  return match[1].trim();
}

async function getJson(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

// Longer than the runner's 120 s per-test default: a cold build alone can take minutes.
const SLOW = { timeout: 600_000 };

test('container image: builds from the Dockerfile and runs hardened', SLOW, async (t) => {
  const engine = await engineOrSkip(t);
  if (!engine) return;

  const suffix = randomBytes(4).toString('hex');
  const tag = `localhost/hello-api-test:${suffix}`;
  const name = `hello-api-test-${suffix}`;
  const facts = {
    version: `9.8.7-test.${suffix}`,
    commit: randomBytes(20).toString('hex'),
    time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    source: 'https://example.test/hello-api',
  };

  t.after(async () => {
    await engineRun(engine, ['rm', '--force', name, `${name}-minimal`, `${name}-traced`]);
    await engineRun(engine, ['rmi', '--force', tag, `${tag}-minimal`]);
  });

  const { base, buildArg, why } = await chooseBase(engine);
  console.log(`# base image: ${base} (${why})`);

  const buildStarted = Date.now();
  const build = await run(
    engine.path,
    buildCommand(engine, { root: REPO_ROOT, tag, facts, baseImage: buildArg }),
    { timeoutMs: 600_000 },
  );
  assert.equal(
    build.code,
    0,
    `image build failed:\n${build.stdout.slice(-3000)}\n${build.stderr.slice(-3000)}`,
  );
  console.log(`# image built in ${((Date.now() - buildStarted) / 1000).toFixed(1)} s`);
  const image = await inspectImage(engine, tag);

  await t.test('image metadata: numeric non-root user, port, env, OCI labels', () => {
    assert.equal(image.Config.User, `${APP_UID}:${APP_UID}`);
    assert.ok('8000/tcp' in (image.Config.ExposedPorts ?? {}), 'port 8000/tcp is not exposed');
    assert.ok(image.Config.Env?.includes('NODE_ENV=production'), 'NODE_ENV=production is not set');
    assert.deepEqual(image.Config.Entrypoint, IMAGE_ENTRYPOINT);
    const labels = image.Config.Labels ?? {};
    assert.equal(labels['org.opencontainers.image.revision'], facts.commit);
    assert.equal(labels['org.opencontainers.image.version'], facts.version);
    assert.equal(labels['org.opencontainers.image.created'], facts.time);
    assert.equal(labels['org.opencontainers.image.source'], facts.source);
  });

  await t.test('app layers above the base image stay under 5 MB', async () => {
    const sizes = await layerSizes(engine, tag, base);
    console.log(
      `# image ${megabytes(sizes.totalBytes)} = base ${megabytes(sizes.baseBytes)} + app layers ${megabytes(sizes.appBytes)} (limit ${megabytes(APP_LAYERS_LIMIT_BYTES)})`,
    );
    for (const layer of sizes.appLayers.filter((entry) => entry.bytes > 0)) {
      console.log(`#   ${megabytes(layer.bytes).padStart(9)}  ${layer.createdBy}`);
    }
    assert.ok(sizes.appBytes > 0, 'no app layers found above the base image');
    assert.ok(
      sizes.appBytes < APP_LAYERS_LIMIT_BYTES,
      `app layers are ${megabytes(sizes.appBytes)}, limit ${megabytes(APP_LAYERS_LIMIT_BYTES)}`,
    );
  });

  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const started = await run(
    engine.path,
    runCommand(engine, {
      image: tag,
      name,
      hostPort: port,
      detach: true,
      env: {
        APP_ENV: 'dev',
        SHUTDOWN_DELAY_MS: String(SHUTDOWN_DELAY_MS),
        SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
      },
    }),
  );
  assert.equal(started.code, 0, `${engine.name} run failed:\n${started.stderr}`);

  const containerState = async (container = name) => {
    const text = await engineOk(engine, ['container', 'inspect', container]);
    const [info] = JSON.parse(text) as { State: { Status: string; ExitCode: number } }[];
    assert.ok(info, `no inspect data for container ${name}`);
    return info.State;
  };
  const logs = async (container = name) => {
    const result = await engineRun(engine, ['logs', container]);
    return `${result.stdout}${result.stderr}`;
  };
  const waitReady = (container: string, baseUrl: string) =>
    pollUntil(
      'GET /readyz answers 200 through the published port',
      async () => {
        const state = await containerState(container);
        if (state.Status === 'exited') {
          assert.fail(
            `container exited (${state.ExitCode}) before ready:\n${await logs(container)}`,
          );
        }
        const response = await tryGet(`${baseUrl}/readyz`);
        return response?.status === 200;
      },
      { timeoutMs: 60_000 },
    );
  const nodeVersion = async (container: string) =>
    (await engineOk(engine, ['exec', container, 'node', '--version'])).trim();

  await waitReady(name, url);

  await t.test(
    'PID 1 is node dist/server.js as UID/GID 10001, no capabilities, no new privileges',
    async () => {
      const cmdline = (await readInContainer(engine, name, '/proc/1/cmdline')).split('\0');
      assert.deepEqual(cmdline.filter(Boolean), IMAGE_ENTRYPOINT);
      const status = await readInContainer(engine, name, '/proc/1/status');
      assert.deepEqual(statusField(status, 'Uid').split(/\s+/), [
        APP_UID,
        APP_UID,
        APP_UID,
        APP_UID,
      ]);
      assert.deepEqual(statusField(status, 'Gid').split(/\s+/), [
        APP_UID,
        APP_UID,
        APP_UID,
        APP_UID,
      ]);
      assert.equal(
        BigInt(`0x${statusField(status, 'CapEff')}`),
        0n,
        'effective capabilities remain',
      );
      assert.equal(
        BigInt(`0x${statusField(status, 'CapBnd')}`),
        0n,
        'bounding capabilities remain',
      );
      assert.equal(statusField(status, 'NoNewPrivs'), '1');
    },
  );

  await t.test(`runs Node.js ${NODE_VERSION}, the version .nvmrc pins`, async () => {
    assert.equal(await nodeVersion(name), NODE_VERSION);
  });

  await t.test('/app holds the bundle, package.json and build-info.json only', async () => {
    const listing = await jsonFromContainer(
      engine,
      name,
      `const fs = require('fs');
       console.log(JSON.stringify({ app: fs.readdirSync('/app').sort(), dist: fs.readdirSync('/app/dist').sort() }));`,
    );
    const { app, dist } = listing as { app: string[]; dist: string[] };
    assert.deepEqual(app, ['build-info.json', 'dist', 'package.json']);
    // The two entries, the Swagger UI's files, and the chunks esbuild split off (the app, the
    // tracing SDK, shared code): hashed .js files, no source maps.
    assert.deepEqual(
      dist.filter((file) => !/^[\w-]+-[A-Z0-9]{8}\.js$/.test(file)),
      ['server.js', 'swagger-ui', 'tracing-preload.js'],
    );
  });

  await t.test('root filesystem is read-only, /tmp is writable', async () => {
    const probe = await jsonFromContainer(
      engine,
      name,
      `const fs = require('fs');
       const attempt = (path) => { try { fs.writeFileSync(path, 'x'); return 'written'; } catch (e) { return e.code; } };
       console.log(JSON.stringify({ app: attempt('/app/probe'), root: attempt('/probe'), tmp: attempt('/tmp/probe') }));`,
    );
    assert.deepEqual(probe, { app: 'EROFS', root: 'EROFS', tmp: 'written' });
  });

  await t.test(
    'GET /healthz, /readyz, / and /metrics answer through the published port',
    async () => {
      assert.deepEqual(await getJson(`${url}/healthz`), { status: 200, body: { status: 'ok' } });
      assert.deepEqual(await getJson(`${url}/readyz`), { status: 200, body: { status: 'ok' } });
      const root = await getJson(`${url}/`);
      assert.equal(root.status, 200);
      assert.equal(root.body.status, 'ok');
      assert.equal(root.body.environment, 'dev');
      assert.equal(root.body.version, facts.version);
      assert.equal(typeof root.body.hostname, 'string');
      const metrics = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5_000) });
      assert.equal(metrics.status, 200);
      assert.match(metrics.headers.get('content-type') ?? '', /^text\/plain/);
      const text = await metrics.text();
      assert.match(text, /^http_request_duration_seconds_count\{[^}]*route="\/"[^}]*\} [1-9]/m);
      assert.ok(
        text.includes(
          `app_info{version="${facts.version}",commit="${facts.commit}",environment="dev"} 1`,
        ),
        `app_info with the build's version and commit is missing from /metrics`,
      );
    },
  );

  await t.test(
    'the Swagger UI page and its static files are served from the image (files in dist/swagger-ui, no node_modules)',
    async () => {
      const page = await fetch(`${url}/docs/`, { signal: AbortSignal.timeout(5_000) });
      assert.equal(page.status, 200);
      assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
      assert.match(await page.text(), /swagger-ui/i);
      const script = await fetch(`${url}/docs/static/swagger-ui-bundle.js`, {
        signal: AbortSignal.timeout(5_000),
      });
      assert.equal(script.status, 200);
      assert.ok((await script.arrayBuffer()).byteLength > 100_000, 'the UI bundle is served whole');
      const logo = await fetch(`${url}/docs/static/logo.svg`, {
        signal: AbortSignal.timeout(5_000),
      });
      assert.equal(logo.status, 200);
      assert.match(await logo.text(), /<svg/);
    },
  );

  await t.test(
    'GET /version reports the version, commit and time passed at build time',
    async () => {
      assert.deepEqual(await getJson(`${url}/version`), {
        status: 200,
        body: {
          version: facts.version,
          commit: facts.commit,
          buildTime: facts.time,
          environment: 'dev',
        },
      });
    },
  );

  await t.test('/app/build-info.json holds the same build facts', async () => {
    assert.deepEqual(JSON.parse(await readInContainer(engine, name, '/app/build-info.json')), {
      version: facts.version,
      commit: facts.commit,
      buildTime: facts.time,
    });
  });

  const healthcheck = image.Healthcheck?.Test ?? image.Config.Healthcheck?.Test ?? [];
  await t.test('the image HEALTHCHECK command passes, using only node', async () => {
    const check = healthcheck;
    assert.equal(
      check[0],
      'CMD',
      `HEALTHCHECK is missing or not exec form: ${JSON.stringify(check)}`,
    );
    assert.equal(check[1], 'node');
    const result = await engineRun(engine, ['exec', name, ...check.slice(1)]);
    assert.equal(result.code, 0, `health check failed: ${result.stderr}`);
  });

  await t.test(
    'SIGTERM: readiness turns 503, then exit 0 within delay + timeout, shutdown logged',
    async () => {
      const budgetMs = SHUTDOWN_DELAY_MS + SHUTDOWN_TIMEOUT_MS;
      const started = Date.now();
      // The engine's own kill deadline is far beyond the budget: only the service can stop in time.
      let stopDone = false;
      const stopping = engineRun(engine, ['stop', '-t', '60', name], 90_000).finally(() => {
        stopDone = true;
      });
      // Polled until seen or until the stop is over: the 503 window is the drain delay itself.
      const readiness = await pollUntil(
        'GET /readyz turns 503 during the drain delay',
        async () => {
          const response = await tryGet(`${url}/readyz`);
          if (response?.status === 503) return 'answered 503';
          return stopDone ? 'stopped without a 503' : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 50 },
      );
      const stopped = await stopping;
      assert.equal(
        readiness,
        'answered 503',
        'GET /readyz never answered 503 between SIGTERM and exit',
      );
      const elapsedMs = Date.now() - started;
      assert.equal(stopped.code, 0, `${engine.name} stop failed: ${stopped.stderr}`);
      console.log(
        `# stopped in ${elapsedMs} ms (drain delay ${SHUTDOWN_DELAY_MS} ms, budget ${budgetMs} ms)`,
      );
      assert.ok(
        elapsedMs >= SHUTDOWN_DELAY_MS,
        `stopped after ${elapsedMs} ms: the drain delay was skipped`,
      );
      assert.ok(elapsedMs < budgetMs, `stopped after ${elapsedMs} ms, budget ${budgetMs} ms`);

      const state = await containerState();
      assert.equal(state.Status, 'exited');
      assert.equal(state.ExitCode, 0, `exit code ${state.ExitCode}:\n${await logs()}`);
      const messages = parseLogLines((await logs()).split('\n')).map((record) => record.msg);
      const positions = SHUTDOWN_LOG.map((message) => messages.indexOf(message));
      assert.ok(
        positions.every((position) => position >= 0),
        `shutdown log lines missing: ${JSON.stringify(messages)}`,
      );
      assert.deepEqual(
        [...positions].sort((a, b) => a - b),
        positions,
        'shutdown log lines out of order',
      );
    },
  );
  await t.test(
    "tracing in the image: a caller's trace id reaches an OTLP receiver, the access log and the exemplar",
    async () => {
      const tracedName = `${name}-traced`;
      const tracedPort = await freePort();
      const tracedUrl = `http://127.0.0.1:${tracedPort}`;
      // The receiver runs inside the container (its own loopback), started with the image's
      // node after the service; it keeps each export's body in /tmp, decoded here.
      const startedTraced = await run(
        engine.path,
        runCommand(engine, {
          image: tag,
          name: tracedName,
          hostPort: tracedPort,
          detach: true,
          env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', SHUTDOWN_DELAY_MS: '0' },
        }),
      );
      assert.equal(startedTraced.code, 0, `${engine.name} run failed:\n${startedTraced.stderr}`);
      await waitReady(tracedName, tracedUrl);
      await engineOk(engine, [
        'exec',
        '--detach',
        tracedName,
        'node',
        '-e',
        `let n = 0;
         require('http').createServer((req, res) => {
           const chunks = [];
           req.on('data', (c) => chunks.push(c)).on('end', () => {
             require('fs').writeFileSync('/tmp/otlp-' + (n++) + '.bin', Buffer.concat(chunks));
             res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
           });
         }).listen(4318, '127.0.0.1', () => require('fs').writeFileSync('/tmp/otlp-listening', ''));`,
      ]);
      await pollUntil(
        'the receiver in the container listens',
        async () =>
          (
            await nodeInContainer(
              engine,
              tracedName,
              `console.log(require('fs').existsSync('/tmp/otlp-listening'))`,
            )
          ).trim() === 'true',
        { timeoutMs: 10_000 },
      );
      const caller = callerSpan();
      const answer = await fetch(`${tracedUrl}/`, {
        headers: { traceparent: caller.traceparent },
        signal: AbortSignal.timeout(5_000),
      });
      assert.equal(answer.status, 200);
      await answer.text();
      const exported = async () => {
        const bodies = JSON.parse(
          await nodeInContainer(
            engine,
            tracedName,
            `const fs = require('fs');
             console.log(JSON.stringify(fs.readdirSync('/tmp').filter((f) => f.endsWith('.bin')).map((f) => fs.readFileSync('/tmp/' + f).toString('base64'))));`,
          ),
        ) as string[];
        return bodies.flatMap((body) => spansOf(Buffer.from(body, 'base64')));
      };
      const server = await pollUntil(
        'the server span of GET / in the receiver',
        async () =>
          (await exported()).find(
            (span) => span.traceId === caller.traceId && span.kind === SPAN_KIND.SERVER,
          ),
        { timeoutMs: 15_000, intervalMs: 250 },
      );
      assert.equal(server.name, 'GET /');
      assert.equal(server.parentSpanId, caller.spanId);
      assert.equal(server.resource['service.version'], facts.version);
      assert.equal(server.resource['vcs.ref.head.revision'], facts.commit);
      const line = parseLogLines((await logs(tracedName)).split('\n')).find(
        (record) => record.msg === 'request completed' && record.path === '/',
      );
      assert.equal(line?.trace_id, caller.traceId);
      const metrics = await fetch(`${tracedUrl}/metrics`, {
        headers: { accept: 'application/openmetrics-text;version=1.0.0' },
        signal: AbortSignal.timeout(5_000),
      });
      assert.ok(
        (await metrics.text()).includes(`trace_id="${caller.traceId}"`),
        'exemplar on /metrics',
      );
      await engineRun(engine, ['rm', '--force', tracedName]);
    },
  );
  await t.test(
    'distroless-shaped base (no shell, no npm, node in /nodejs/bin): same Dockerfile builds, serves, passes its health check',
    async () => {
      const minimalBase = await ensureStandinBase(
        engine,
        (line) => {
          console.log(`# ${line}`);
        },
        'minimal',
      );
      const minimalTag = `${tag}-minimal`;
      const minimalName = `${name}-minimal`;
      const minimalBuild = await run(
        engine.path,
        buildCommand(engine, {
          root: REPO_ROOT,
          tag: minimalTag,
          facts,
          baseImage: buildArg,
          runtimeBaseImage: minimalBase,
        }),
        { timeoutMs: 600_000 },
      );
      assert.equal(
        minimalBuild.code,
        0,
        `build on ${minimalBase} failed:\n${minimalBuild.stderr.slice(-3000)}`,
      );
      const minimalPort = await freePort();
      const minimalUrl = `http://127.0.0.1:${minimalPort}`;
      const startedMinimal = await run(
        engine.path,
        runCommand(engine, {
          image: minimalTag,
          name: minimalName,
          hostPort: minimalPort,
          detach: true,
        }),
      );
      assert.equal(startedMinimal.code, 0, `${engine.name} run failed:\n${startedMinimal.stderr}`);
      await waitReady(minimalName, minimalUrl);
      const layout = await jsonFromContainer(
        engine,
        minimalName,
        `const fs = require('fs');
         console.log(JSON.stringify({ node: process.execPath, sh: fs.existsSync('/bin/sh'), npm: fs.existsSync('/usr/local/bin/npm') }));`,
      );
      assert.deepEqual(layout, { node: '/nodejs/bin/node', sh: false, npm: false });
      assert.equal(await nodeVersion(minimalName), NODE_VERSION);
      const check = await engineRun(engine, ['exec', minimalName, ...healthcheck.slice(1)]);
      assert.equal(check.code, 0, `health check failed on ${minimalBase}: ${check.stderr}`);
      assert.deepEqual(await getJson(`${minimalUrl}/version`), {
        status: 200,
        body: {
          version: facts.version,
          commit: facts.commit,
          buildTime: facts.time,
          environment: 'local',
        },
      });
    },
  );
});
