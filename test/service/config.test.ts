// Configuration: defaults, every variable's validation, and the process-level contract that a bad
// value stops the service before it listens, exit code 1, one line naming the variable.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import {
  CONFIG_VARIABLE_NAMES,
  ConfigError,
  describeConfig,
  loadConfig,
} from '../../src/config.js';
import { parseTimezoneOffset } from '../../src/config/variables.js';
import { serviceFor, spawnService } from '../helpers/service.js';
import { tempDirFor } from '../helpers/temp-dir.js';

describe('loadConfig', () => {
  test('defaults match the original service and are safe for production', () => {
    const config = loadConfig({}, '9.9.9');
    assert.equal(config.port, 8000);
    assert.equal(config.host, '0.0.0.0');
    assert.equal(config.greeting, 'Hello World');
    assert.equal(config.timezoneOffsetMinutes, 330);
    assert.equal(config.secretMessage, '');
    assert.equal(config.appEnv, 'local');
    assert.equal(config.corsOrigins, '*');
    assert.equal(config.faultInjectionEnabled, true);
    assert.equal(config.build.version, '9.9.9');
    assert.equal(config.build.commit, 'unknown');
    assert.equal(config.build.time, 'unknown');
    assert.ok(Object.isFrozen(config));
  });

  test('fault injection is off by default in prod and can be switched explicitly', () => {
    assert.equal(loadConfig({ APP_ENV: 'prod' }).faultInjectionEnabled, false);
    assert.equal(
      loadConfig({ APP_ENV: 'prod', FAULT_INJECTION_ENABLED: 'true' }).faultInjectionEnabled,
      true,
    );
    assert.equal(
      loadConfig({ APP_ENV: 'dev', FAULT_INJECTION_ENABLED: '0' }).faultInjectionEnabled,
      false,
    );
  });

  test('parses every kind of value', () => {
    const config = loadConfig({
      PORT: '9000',
      TIMEZONE_OFFSET: '-12:00',
      CORS_ORIGINS: 'https://a.example, http://b.example:8080',
      FAULT_ERROR_RATE: '0.25',
      WORK_ENDPOINT_ENABLED: 'FALSE',
      APP_VERSION: '2.0.0',
      GIT_COMMIT: 'abc123',
    });
    assert.equal(config.port, 9000);
    assert.equal(config.timezoneOffsetMinutes, -720);
    assert.deepEqual(config.corsOrigins, ['https://a.example', 'http://b.example:8080']);
    assert.equal(config.faultErrorRate, 0.25);
    assert.equal(config.workEndpointEnabled, false);
    assert.equal(config.build.version, '2.0.0');
    assert.equal(config.build.commit, 'abc123');
  });

  test('timezone offsets outside -12:00..+14:00 or with bad minutes are rejected', () => {
    assert.equal(parseTimezoneOffset('+14:00'), 840);
    assert.equal(parseTimezoneOffset('+00:00'), 0);
    for (const bad of ['+14:01', '-12:30', '+05:60', '05:30', '+5:30', 'UTC', '+05:30:00']) {
      assert.equal(parseTimezoneOffset(bad), undefined, bad);
    }
  });

  test('reports every bad variable at once', () => {
    assert.throws(
      () => loadConfig({ PORT: 'eighty', APP_ENV: 'qa', LOG_LEVEL: 'loud' }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.equal(error.problems.length, 3);
        for (const name of ['PORT', 'APP_ENV', 'LOG_LEVEL']) {
          assert.ok(
            error.problems.some((line) => line.startsWith(`${name}=`)),
            name,
          );
        }
        return true;
      },
    );
  });

  test('whole numbers are written plainly: no leading zeros, sign, exponent or fraction', () => {
    for (const bad of ['043707', '08000', '+8000', '8e3', '8000.0', '0x1f40', ' 80 00']) {
      assert.throws(
        () => loadConfig({ PORT: bad }),
        (error: unknown) => error instanceof ConfigError && /^PORT=/.test(error.problems[0] ?? ''),
        bad,
      );
    }
    assert.throws(() => loadConfig({ PORT: '043707' }), /without leading zeros/);
    assert.equal(loadConfig({ PORT: '0' }).port, 0);
  });

  test('HOST must be an address to bind (or localhost), not something to resolve', () => {
    for (const good of ['0.0.0.0', '127.0.0.1', '::', '::1', 'localhost']) {
      assert.equal(loadConfig({ HOST: good }).host, good);
    }
    for (const bad of ['example.invalid', '256.0.0.1', 'local host', '0.0.0.0:8000']) {
      assert.throws(
        () => loadConfig({ HOST: bad }),
        /^ConfigError: HOST=.* is invalid: expected an IP address/,
        bad,
      );
    }
  });

  test('reads the secret from SECRET_MESSAGE_FILE when SECRET_MESSAGE is unset', (t) => {
    const dir = tempDirFor(t, 'secret');
    const file = join(dir, 'secret');
    writeFileSync(file, 'from-a-file\n');
    assert.equal(loadConfig({ SECRET_MESSAGE_FILE: file }).secretMessage, 'from-a-file');
    assert.equal(
      loadConfig({ SECRET_MESSAGE_FILE: file, SECRET_MESSAGE: 'direct' }).secretMessage,
      'direct',
    );
  });

  test('a SECRET_MESSAGE_FILE naming an empty file is an error, not "no secret"', (t) => {
    const file = join(tempDirFor(t, 'empty-secret'), 'secret');
    writeFileSync(file, '\n');
    assert.throws(
      () => loadConfig({ SECRET_MESSAGE_FILE: file }),
      /^ConfigError: SECRET_MESSAGE_FILE=<not shown> is invalid: expected a file that holds the secret, not an empty one$/,
    );
  });

  test('a bad SECRET_MESSAGE_FILE is never echoed: it may be a secret in the wrong variable', () => {
    const pasted = 'hunter2-pasted-here';
    assert.throws(
      () => loadConfig({ SECRET_MESSAGE_FILE: pasted }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.deepEqual(error.problems, [
          'SECRET_MESSAGE_FILE=<not shown> is invalid: expected the path of a readable file that holds the secret (ENOENT)',
        ]);
        return !error.message.includes(pasted);
      },
    );
  });

  test('describeConfig never contains the secret', () => {
    const described = JSON.stringify(
      describeConfig(loadConfig({ SECRET_MESSAGE: 'p4ssw0rd-xyz' })),
    );
    assert.ok(!described.includes('p4ssw0rd-xyz'));
    assert.match(described, /"secret":"configured"/);
    assert.ok(!described.includes('secretMessage'));
  });
});

/** One bad value per variable that has rules; each must stop the real process. */
const BAD_VALUES: Record<string, string> = {
  PORT: '70000',
  HOST: 'example.invalid',
  LOG_LEVEL: 'verbose',
  TIMEZONE_OFFSET: '+25:00',
  SECRET_MESSAGE_FILE: '/nonexistent/secret',
  APP_ENV: 'production',
  CORS_ORIGINS: 'not a url',
  SHUTDOWN_DELAY_MS: '-1',
  SHUTDOWN_TIMEOUT_MS: '5s',
  KEEP_ALIVE_TIMEOUT_MS: '10',
  HEADERS_TIMEOUT_MS: '1.5',
  REQUEST_TIMEOUT_MS: 'never',
  BODY_LIMIT_BYTES: '0',
  EVENT_LOOP_STALL_MS: '99999999',
  FAULT_INJECTION_ENABLED: 'yes please',
  FAULT_ERROR_RATE: '1.5',
  FAULT_LATENCY_MS: '20000',
  DELAY_MAX_SECONDS: '61',
  WORK_ENDPOINT_ENABLED: 'maybe',
  WORK_MAX_MS: '5000',
  // The OTEL_* variables (src/config/otel-variables.ts; more cases in tracing-config.test.ts).
  OTEL_SDK_DISABLED: 'yes',
  OTEL_TRACES_EXPORTER: 'jaeger',
  OTEL_EXPORTER_OTLP_ENDPOINT: 'tempo:4318',
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'ftp://tempo',
  OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
  OTEL_EXPORTER_OTLP_HEADERS: 'no-equals-sign',
  OTEL_EXPORTER_OTLP_TIMEOUT: '10s',
  OTEL_TRACES_SAMPLER: 'sometimes',
  OTEL_TRACES_SAMPLER_ARG: '2',
  OTEL_RESOURCE_ATTRIBUTES: 'novalue',
};

describe('the process refuses bad configuration before listening', () => {
  for (const [name, value] of Object.entries(BAD_VALUES)) {
    test(`${name}=${value} -> exit 1 with one line naming ${name}`, async (t) => {
      const { lines, exited } = spawnService(t, { env: { [name]: value } });
      const status = await exited;
      assert.equal(
        status.code,
        1,
        `exit status ${JSON.stringify(status)}; output:\n${lines.join('\n')}`,
      );
      assert.equal(lines.length, 1, `expected exactly one line, got:\n${lines.join('\n')}`);
      assert.match(lines[0] ?? '', new RegExp(`^config error: ${name}=.* is invalid: expected`));
      assert.ok(!lines.some((line) => /^\s+at /.test(line)), 'no stack trace');
    });
  }

  test('every variable with rules has a bad-value case above', () => {
    const free = new Set([
      'GREETING',
      'SECRET_MESSAGE',
      'APP_VERSION',
      'GIT_COMMIT',
      'BUILD_TIME',
      'OTEL_SERVICE_NAME',
    ]);
    const missing = CONFIG_VARIABLE_NAMES.filter(
      (name) => !free.has(name) && !(name in BAD_VALUES),
    );
    assert.deepEqual(missing, []);
  });

  test('several bad variables give one line each', async (t) => {
    const { lines, exited } = spawnService(t, { env: { PORT: 'x', TIMEZONE_OFFSET: 'y' } });
    assert.equal((await exited).code, 1);
    assert.deepEqual(
      lines.map((line) => /^config error: (\w+)=/.exec(line)?.[1]),
      ['PORT', 'TIMEZONE_OFFSET'],
    );
  });
});

test('a .env file in the working directory is read, and the real environment wins', async (t) => {
  const dir = tempDirFor(t, 'dotenv');
  writeFileSync(join(dir, '.env'), 'GREETING=from-dotenv\nAPP_ENV=stage\n');
  const service = await serviceFor(t, { env: { APP_ENV: 'dev' }, cwd: dir });
  const body = (await (await fetch(`${service.url}/`)).json()) as {
    message: string;
    environment: string;
  };
  assert.equal(body.message, 'from-dotenv');
  assert.equal(body.environment, 'dev');
});
