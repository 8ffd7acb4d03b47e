// Configuration: defaults, every variable's validation, and the process-level contract that a bad
// value stops the service before it listens, exit code 1, one line naming the variable.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import {
  CONFIG_VARIABLE_NAMES,
  ConfigError,
  describeConfig,
  loadConfig,
} from '../../src/config.js';
import { parseTimezoneOffset } from '../../src/config/variables.js';
import { TEST_FAULT_TOKEN } from '../helpers/fault-token.js';
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

  test('describeConfig never contains the secret or the fault token', () => {
    const described = JSON.stringify(
      describeConfig(loadConfig({ SECRET_MESSAGE: 'p4ssw0rd-xyz', FAULT_TOKEN: TEST_FAULT_TOKEN })),
    );
    assert.ok(!described.includes('p4ssw0rd-xyz'));
    assert.ok(!described.includes(TEST_FAULT_TOKEN));
    assert.match(described, /"secret":"configured"/);
    assert.match(described, /"faultTokenSet":true/);
    assert.ok(!described.includes('secretMessage'));
    assert.ok(!/"faultToken":/.test(described));
  });

  test('FAULT_TOKEN is a bearer token of at least 32 characters, refused without being echoed', () => {
    assert.equal(loadConfig({}).faultToken, '');
    assert.equal(loadConfig({ FAULT_TOKEN: TEST_FAULT_TOKEN }).faultToken, TEST_FAULT_TOKEN);
    const hex = 'a'.repeat(64);
    assert.equal(loadConfig({ FAULT_TOKEN: hex }).faultToken, hex);
    for (const bad of [
      'short-token',
      'a'.repeat(31),
      `${'a'.repeat(40)} b`,
      `${'a'.repeat(40)}"`,
      `=${'a'.repeat(40)}`,
    ]) {
      assert.throws(
        () => loadConfig({ FAULT_TOKEN: bad }),
        (error: unknown) => {
          assert.ok(error instanceof ConfigError);
          assert.match(
            error.problems[0] ?? '',
            /^FAULT_TOKEN=<not shown> is invalid: expected a bearer token of at least 32 characters/,
          );
          return !error.message.includes(bad);
        },
        bad,
      );
    }
  });

  test('FAULT_TOKEN_FILE is read like SECRET_MESSAGE_FILE, and its content must be a valid token', (t) => {
    const dir = tempDirFor(t, 'fault-token');
    const good = join(dir, 'good');
    writeFileSync(good, `${TEST_FAULT_TOKEN}\n`);
    assert.equal(loadConfig({ FAULT_TOKEN_FILE: good }).faultToken, TEST_FAULT_TOKEN);
    const direct = 'b'.repeat(32);
    assert.equal(loadConfig({ FAULT_TOKEN_FILE: good, FAULT_TOKEN: direct }).faultToken, direct);
    const empty = join(dir, 'empty');
    writeFileSync(empty, '');
    assert.throws(
      () => loadConfig({ FAULT_TOKEN_FILE: empty }),
      /^ConfigError: FAULT_TOKEN_FILE=<not shown> is invalid: expected a file that holds the secret, not an empty one$/,
    );
    const weak = join(dir, 'weak');
    writeFileSync(weak, 'hunter2\n');
    assert.throws(
      () => loadConfig({ FAULT_TOKEN_FILE: weak }),
      (error: unknown) =>
        error instanceof ConfigError &&
        /^FAULT_TOKEN_FILE=<not shown> is invalid: expected a file that holds a bearer token of at least 32/.test(
          error.problems[0] ?? '',
        ) &&
        !error.message.includes('hunter2') &&
        !error.message.includes(weak),
    );
    assert.throws(
      () => loadConfig({ FAULT_TOKEN_FILE: TEST_FAULT_TOKEN }),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.problems[0] ===
          'FAULT_TOKEN_FILE=<not shown> is invalid: expected the path of a readable file that holds the token (ENOENT)',
    );
  });
});

/** One bad value per variable that has rules; each must stop the real process. */
const BAD_VALUES: Record<string, string> = {
  PORT: '70000',
  HOST: 'example.invalid',
  LOG_LEVEL: 'verbose',
  TIMEZONE_OFFSET: '+25:00',
  SECRET_MESSAGE_FILE: '/nonexistent/secret',
  FAULT_TOKEN: 'too-short',
  FAULT_TOKEN_FILE: '/nonexistent/token',
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

describe('a listen failure stops the process with one line naming HOST or PORT', () => {
  /** Starts the service with `env`, which must fail to listen, and returns its only line. */
  async function listenError(
    t: Parameters<typeof spawnService>[0],
    env: Record<string, string>,
    ids: { uid?: number; gid?: number } = {},
  ): Promise<string> {
    const { lines, exited } = spawnService(t, { env, ...ids });
    const status = await exited;
    assert.equal(status.code, 1, `exit ${JSON.stringify(status)}; output:\n${lines.join('\n')}`);
    assert.equal(lines.length, 1, `expected exactly one line, got:\n${lines.join('\n')}`);
    return lines[0] ?? '';
  }

  test('PORT in use (EADDRINUSE)', async (t) => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    t.after(
      () =>
        new Promise<void>((resolve) => {
          blocker.close(() => {
            resolve();
          });
        }),
    );
    const address = blocker.address();
    assert.ok(address !== null && typeof address === 'object');
    const line = await listenError(t, { HOST: '127.0.0.1', PORT: String(address.port) });
    assert.equal(
      line,
      `listen error: PORT=${address.port} is in use on HOST=127.0.0.1: expected a port no other process listens on`,
    );
  });

  test('HOST not an address of this machine (EADDRNOTAVAIL)', async (t) => {
    // 192.0.2.1 is TEST-NET-1 (RFC 5737): never assigned to a real interface.
    const line = await listenError(t, { HOST: '192.0.2.1', PORT: '0' });
    assert.match(
      line,
      /^listen error: HOST=192\.0\.2\.1 is not an address of this machine: expected /,
    );
  });

  test('PORT below 1024 without the privilege (EACCES)', async (t) => {
    const sysctl = '/proc/sys/net/ipv4/ip_unprivileged_port_start';
    const unprivilegedFrom = Number(readFileSync(sysctl, 'utf8'));
    if (unprivilegedFrom <= 80) {
      t.skip(`${sysctl} is ${unprivilegedFrom}: any process may bind port 80 here`);
      return;
    }
    // Root may bind it, so the service runs as nobody when the tests run as root.
    const asRoot = process.getuid?.() === 0;
    const ids = asRoot ? { uid: 65534, gid: 65534 } : {};
    // nobody cannot write the coverage files of a covered run: an empty NODE_V8_COVERAGE is off.
    const coverage: Record<string, string> = asRoot ? { NODE_V8_COVERAGE: '' } : {};
    const line = await listenError(t, { HOST: '127.0.0.1', PORT: '80', ...coverage }, ids);
    assert.match(
      line,
      /^listen error: PORT=80 needs a privilege this process does not have: expected a port from 1024 to 65535$/,
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
