// Structural checks of the Dockerfile and .dockerignore that need no container engine: pinned
// LTS bases on the Node.js version .nvmrc pins, cache-friendly order, a runtime stage that runs
// nothing at build time (so a distroless base works) and holds only the bundle, numeric non-root
// user, exec-form entrypoint and health check. Trivy's Dockerfile checks (aquasecurity/
// trivy-checks, checks/docker/) that apply here are covered too: DS-0001 no `latest` base,
// DS-0002 a non-root last USER, DS-0026 a HEALTHCHECK.
// image.test.ts proves the same file builds and behaves; these name the rule a change broke.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import type { Deployment } from 'kubernetes-types/apps/v1.js';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config.js';
import { execForm, parseDockerfile, type Stage } from '../helpers/dockerfile.js';
import { repoPath } from '../helpers/paths.js';
import { IMAGE_ENTRYPOINT } from '../helpers/tracing.js';

/** The port the service listens on unless PORT says otherwise (src/config/variables.ts). */
const PORT = String(loadConfig({}).port);

/** The one Node.js version of the project: the image must run exactly this. */
const NODE_VERSION = readFileSync(repoPath('.nvmrc'), 'utf8').trim();

const text = readFileSync(repoPath('Dockerfile'), 'utf8');
const dockerfile = parseDockerfile(text);
const runtime = dockerfile.stages.at(-1);
/** Every instruction, comments left out: what the build actually does. */
const code = dockerfile.stages
  .flatMap((s) => s.instructions)
  .map((i) => `${i.keyword} ${i.args}`)
  .join('\n');

function stage(name: string): Stage {
  const found = dockerfile.stages.find((candidate) => candidate.name === name);
  assert.ok(found, `Dockerfile has no stage named ${name}`);
  return found;
}

function argsOf(target: Stage, keyword: string): string[] {
  return target.instructions.filter((i) => i.keyword === keyword).map((i) => i.args);
}

describe('Dockerfile', () => {
  test('both base images default to the official Node.js image of .nvmrc, pinned by digest', () => {
    for (const name of ['BUILD_BASE_IMAGE', 'BASE_IMAGE']) {
      const value = dockerfile.globalArgs.get(name);
      assert.ok(value, `global ARG ${name} has no default`);
      const match = /^node:((\d+)\.\d+\.\d+)-[a-z0-9-]+@sha256:[0-9a-f]{64}$/.exec(value);
      assert.ok(match?.[2], `${name}=${value}: expected node:<x.y.z>-<variant>@sha256:<digest>`);
      assert.equal(
        match[1],
        NODE_VERSION,
        `${name}: Node.js ${match[1]}, but .nvmrc pins ${NODE_VERSION}`,
      );
      const major = Number(match[2]);
      assert.ok(
        major >= 22 && major % 2 === 0,
        `${name}: Node.js ${major} is not a current LTS line`,
      );
    }
    assert.doesNotMatch(text, /:latest\b/, 'no image may use the latest tag');
  });

  test('every stage starts from a build argument or an earlier stage', () => {
    const names = new Set<string>();
    for (const { from, name } of dockerfile.stages) {
      const ok = /^\$\{(BUILD_BASE_IMAGE|BASE_IMAGE)\}$/.test(from) || names.has(from);
      assert.ok(ok, `FROM ${from}: expected \${BUILD_BASE_IMAGE}, \${BASE_IMAGE} or a stage`);
      if (name) names.add(name);
    }
    assert.equal(runtime?.from, '${BASE_IMAGE}');
  });

  test('npm ci runs on the manifests alone, before any source is copied', () => {
    const deps = stage('deps').instructions.map((i) => `${i.keyword} ${i.args}`);
    const copy = deps.findIndex((line) => /^COPY package\.json package-lock\.json /.test(line));
    const install = deps.findIndex((line) => /^RUN npm ci\b/.test(line));
    assert.ok(copy >= 0 && install > copy, `deps stage must COPY manifests, then RUN npm ci`);
    assert.ok(
      !deps.some((line) => /^COPY .*\bsrc\b/.test(line)),
      'deps stage must not copy sources',
    );
  });

  test('the runtime stage runs nothing at build time and copies only build output', () => {
    assert.ok(runtime);
    assert.deepEqual(argsOf(runtime, 'RUN'), [], 'RUN in the runtime stage needs a shell');
    assert.doesNotMatch(code, /\b(apt-get|apt|apk|yum|dnf|microdnf)\s+(install|add|update)/);
    assert.doesNotMatch(code, /\b(curl|wget)\b/);
    // The bundle holds every dependency: node_modules (30 MB of them) has no place in the image.
    assert.deepEqual(argsOf(runtime, 'COPY').sort(), [
      '--from=build /app/dist ./dist',
      '--from=build-info /app/build-info.json ./',
      'package.json ./',
    ]);
  });

  test(`runs as numeric UID:GID 10001:10001 on the service's default PORT (${PORT}) with NODE_ENV=production`, () => {
    assert.ok(runtime);
    assert.deepEqual(argsOf(runtime, 'USER'), ['10001:10001']);
    assert.deepEqual(argsOf(runtime, 'EXPOSE'), [PORT]);
    assert.ok(argsOf(runtime, 'ENV').some((env) => /\bNODE_ENV=production\b/.test(env)));
    assert.ok(argsOf(runtime, 'ENV').some((env) => new RegExp(`\\bPORT=${PORT}\\b`).test(env)));
  });

  test('node is PID 1 through an exec-form ENTRYPOINT, no shell wrapper', () => {
    assert.ok(runtime);
    const [entrypoint] = argsOf(runtime, 'ENTRYPOINT');
    assert.deepEqual(execForm(entrypoint ?? ''), IMAGE_ENTRYPOINT);
    // `npm start` runs the same command, so a local run is the image's run.
    const { scripts } = JSON.parse(readFileSync(repoPath('package.json'), 'utf8')) as {
      scripts: { start: string };
    };
    assert.equal(scripts.start, IMAGE_ENTRYPOINT.join(' '));
    for (const cmd of argsOf(runtime, 'CMD')) {
      assert.ok(execForm(cmd), `CMD ${cmd} is in shell form`);
    }
  });

  test("HEALTHCHECK is exec form, uses node itself and asks the Deployment's liveness path on PORT", () => {
    assert.ok(runtime);
    const [healthcheck] = argsOf(runtime, 'HEALTHCHECK');
    assert.ok(healthcheck, 'no HEALTHCHECK in the runtime stage');
    const command = /\bCMD\s+(\[.*\])$/.exec(healthcheck)?.[1];
    const form = execForm(command ?? '');
    assert.equal(form?.[0], 'node', `HEALTHCHECK ${healthcheck}: expected CMD ["node", ...]`);
    // The liveness route is checked against the app's behaviour in test/k8s/service-contract.
    const deployment = parse(
      readFileSync(repoPath('k8s/base/deployment.yaml'), 'utf8'),
    ) as Deployment;
    const liveness = deployment.spec?.template.spec?.containers[0]?.livenessProbe?.httpGet?.path;
    assert.ok(liveness, 'k8s/base/deployment.yaml: no livenessProbe path');
    const script = form.join(' ');
    assert.ok(script.includes(`'${liveness}'`), `HEALTHCHECK must ask ${liveness}: ${script}`);
    assert.ok(script.includes(`process.env.PORT || ${PORT})`), `HEALTHCHECK: PORT, else ${PORT}`);
  });

  test('build facts reach the environment and the OCI labels', () => {
    assert.ok(runtime);
    const env = argsOf(runtime, 'ENV').join(' ');
    for (const name of ['APP_VERSION', 'GIT_COMMIT', 'BUILD_TIME']) {
      assert.match(env, new RegExp(`\\b${name}=\\$\\{${name}\\}`), `ENV ${name} from its ARG`);
    }
    const labels = argsOf(runtime, 'LABEL').join(' ');
    for (const [label, arg] of [
      ['source', 'SOURCE_URL'],
      ['revision', 'GIT_COMMIT'],
      ['version', 'APP_VERSION'],
      ['created', 'BUILD_TIME'],
    ]) {
      assert.ok(
        labels.includes(`org.opencontainers.image.${label ?? ''}="\${${arg ?? ''}}"`),
        `LABEL org.opencontainers.image.${label ?? ''} must come from ARG ${arg ?? ''}`,
      );
    }
  });
});

describe('.dockerignore', () => {
  const patterns = readFileSync(repoPath('.dockerignore'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));

  test('is an allowlist: everything excluded, then only what the build copies', () => {
    assert.equal(patterns[0], '*', 'the first pattern must exclude everything');
    const allowed = patterns.slice(1);
    assert.ok(
      allowed.every((pattern) => pattern.startsWith('!')),
      'only re-includes after "*"',
    );
    const sources = new Set(allowed.map((pattern) => pattern.slice(1).replace(/\/$/, '')));
    const copied = new Set(
      dockerfile.stages
        .flatMap((s) => argsOf(s, 'COPY'))
        .filter((copy) => !copy.startsWith('--from='))
        .flatMap((copy) => copy.split(/\s+/).slice(0, -1)),
    );
    assert.deepEqual([...sources].sort(), [...copied].sort());
    for (const secret of ['.env', '.git', 'node_modules', 'dist', 'test']) {
      assert.ok(!sources.has(secret), `${secret} must stay out of the build context`);
    }
  });
});
