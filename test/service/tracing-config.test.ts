// The OTEL_* variables: tracing off by default, on with an endpoint, the specification's rules
// for the traces URL and the samplers, and every bad value refused at start (exit 1, one line
// naming the variable) like the rest of the configuration.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError, describeConfig, loadConfig } from '../../src/config.js';
import { spawnService } from '../helpers/service.js';
import { TRACING_PRELOAD } from '../helpers/tracing.js';

function problemsOf(env: Record<string, string>): readonly string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('tracing configuration', () => {
  test('off by default; on with an endpoint; the switches turn it off again', () => {
    assert.equal(loadConfig({}).tracing.enabled, false);
    const on = loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://tempo.monitoring:4318' }).tracing;
    assert.equal(on.enabled, true);
    assert.equal(on.tracesUrl, 'http://tempo.monitoring:4318/v1/traces');
    assert.equal(on.serviceName, 'hello-api');
    assert.equal(on.sampler, 'parentbased_always_on');
    assert.equal(on.samplerRatio, 1);
    for (const off of [{ OTEL_SDK_DISABLED: 'true' }, { OTEL_TRACES_EXPORTER: 'none' }]) {
      const config = loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://t:4318', ...off });
      assert.equal(config.tracing.enabled, false, JSON.stringify(off));
    }
  });

  test('the traces URL: /v1/traces appended to the base endpoint, the signal endpoint used as is', () => {
    const url = (env: Record<string, string>) => loadConfig(env).tracing.tracesUrl;
    assert.equal(
      url({ OTEL_EXPORTER_OTLP_ENDPOINT: 'https://otlp.example/base/' }),
      'https://otlp.example/base/v1/traces',
    );
    assert.equal(
      url({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://ignored:4318',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://tempo:4318/custom',
      }),
      'http://tempo:4318/custom',
    );
  });

  test('resource attributes and headers: key=value lists, percent-decoded; headers never shown', () => {
    const config = loadConfig({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://t:4318',
      OTEL_RESOURCE_ATTRIBUTES: 'k8s.pod.name=a%2Cb, team=sre',
      OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20s3cret',
    });
    assert.deepEqual(config.tracing.resourceAttributes, { 'k8s.pod.name': 'a,b', team: 'sre' });
    assert.deepEqual(config.tracing.headers, { authorization: 'Bearer s3cret' });
    const described = JSON.stringify(describeConfig(config));
    assert.ok(!described.includes('s3cret'), described);
    assert.ok(described.includes('"headers":["authorization"]'), described);
  });

  test('every bad OTEL value is refused with one line naming it, never echoing a secret in it', () => {
    const cases: [Record<string, string>, string, RegExp][] = [
      [
        { OTEL_EXPORTER_OTLP_ENDPOINT: 'tempo:4318' },
        'OTEL_EXPORTER_OTLP_ENDPOINT',
        /http:\/\/ or https:\/\/ URL/,
      ],
      [
        { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://user:pw@t:4318' },
        'OTEL_EXPORTER_OTLP_ENDPOINT',
        /without user:password/,
      ],
      [
        { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'ftp://t' },
        'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
        /URL/,
      ],
      [
        { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' },
        'OTEL_EXPORTER_OTLP_PROTOCOL',
        /one of http\/protobuf/,
      ],
      [{ OTEL_TRACES_SAMPLER: 'sometimes' }, 'OTEL_TRACES_SAMPLER', /parentbased_traceidratio/],
      [{ OTEL_TRACES_SAMPLER_ARG: '1.5' }, 'OTEL_TRACES_SAMPLER_ARG', /from 0 to 1/],
      [{ OTEL_RESOURCE_ATTRIBUTES: 'novalue' }, 'OTEL_RESOURCE_ATTRIBUTES', /key=value/],
      [{ OTEL_RESOURCE_ATTRIBUTES: 'a=%ZZ' }, 'OTEL_RESOURCE_ATTRIBUTES', /percent-encoded/],
      [{ OTEL_EXPORTER_OTLP_TIMEOUT: '10s' }, 'OTEL_EXPORTER_OTLP_TIMEOUT', /whole number/],
      [{ OTEL_TRACES_EXPORTER: 'jaeger' }, 'OTEL_TRACES_EXPORTER', /one of otlp, none/],
      [{ OTEL_SDK_DISABLED: 'yes' }, 'OTEL_SDK_DISABLED', /true or false/],
      // A misspelt or unsupported OTEL_ name would silently leave tracing as it was.
      [
        { OTEL_EXPORTER_OTLP_ENDPIONT: 'http://t:4318' },
        'OTEL_EXPORTER_OTLP_ENDPIONT',
        /not an OpenTelemetry variable this service reads/,
      ],
      [
        { OTEL_BSP_SCHEDULE_DELAY: '100' },
        'OTEL_BSP_SCHEDULE_DELAY',
        /expected one of OTEL_SDK_DISABLED/,
      ],
    ];
    for (const [env, name, expected] of cases) {
      const problems = problemsOf(env);
      assert.equal(problems.length, 1, `${JSON.stringify(env)}: ${problems.join(' | ')}`);
      assert.ok(problems[0]?.startsWith(name), problems[0]);
      assert.match(problems[0] ?? '', expected);
    }
    for (const endpoint of ['http://user:s3cret@t:4318', 'user:s3cret@t:4318'])
      assert.deepEqual(problemsOf({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint }), [
        `OTEL_EXPORTER_OTLP_ENDPOINT="${endpoint.replace('user:s3cret', '<credentials>')}" is invalid: expected an http:// or https:// URL without user:password, such as http://tempo.monitoring:4318`,
      ]);
    const secret = problemsOf({ OTEL_EXPORTER_OTLP_HEADERS: 'token-without-equals-s3cret' });
    assert.deepEqual(secret, [
      'OTEL_EXPORTER_OTLP_HEADERS=<not shown> is invalid: expected key=value pairs separated by commas, values percent-encoded',
    ]);
  });
});

test(
  'a bad OTEL variable stops the process at start, preload first: exit 1, one line naming it',
  { timeout: 30_000 },
  async (t) => {
    const { lines, exited } = spawnService(t, {
      nodeArgs: ['--import', TRACING_PRELOAD],
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'tempo:4318' },
    });
    const status = await exited;
    assert.deepEqual(status, { code: 1, signal: null });
    assert.deepEqual(lines, [
      'config error: OTEL_EXPORTER_OTLP_ENDPOINT="tempo:4318" is invalid: expected an http:// or https:// URL without user:password, such as http://tempo.monitoring:4318',
    ]);
  },
);
