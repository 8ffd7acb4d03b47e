// Environment -> typed, validated, frozen configuration. This is the only module that reads
// environment variables; everything else receives a Config. Each variable is declared once here
// (name, default, what is allowed), and the Kubernetes manifests and .env.example are checked
// against this list by the test suite.
import { readFileSync } from 'node:fs';

const APP_ENVIRONMENTS = ['local', 'dev', 'stage', 'prod'] as const;
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

type AppEnvironment = (typeof APP_ENVIRONMENTS)[number];
type LogLevel = (typeof LOG_LEVELS)[number];

export interface Config {
  readonly port: number;
  readonly host: string;
  readonly logLevel: LogLevel;
  readonly greeting: string;
  /** Offset from UTC in minutes, parsed from TIMEZONE_OFFSET (±HH:MM). */
  readonly timezoneOffsetMinutes: number;
  readonly timezoneOffset: string;
  /** The secret itself: only ever compared with '' and never returned or logged. */
  readonly secretMessage: string;
  readonly appEnv: AppEnvironment;
  /** '*' or an explicit list of allowed origins. */
  readonly corsOrigins: '*' | readonly string[];
  readonly shutdownDelayMs: number;
  readonly shutdownTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly bodyLimitBytes: number;
  readonly eventLoopStallMs: number;
  readonly faultInjectionEnabled: boolean;
  readonly faultErrorRate: number;
  readonly faultLatencyMs: number;
  readonly delayMaxSeconds: number;
  readonly workEndpointEnabled: boolean;
  readonly workMaxMs: number;
  readonly build: {
    readonly version: string;
    readonly commit: string;
    readonly time: string;
  };
}

export type Env = Readonly<Record<string, string | undefined>>;

/** One variable: its name, what it means, and how to turn its raw text into a value. */
interface Variable {
  readonly name: string;
  readonly description: string;
  /** Default shown in .env.example and docs; undefined means "unset". */
  readonly example: string;
}

/** Every environment variable the service reads, in the order .env.example lists them. */
export const CONFIG_VARIABLES: readonly Variable[] = [
  {
    name: 'PORT',
    description: 'TCP port to listen on (0-65535; 0 picks a free port).',
    example: '8000',
  },
  { name: 'HOST', description: 'Address to bind; 0.0.0.0 inside containers.', example: '0.0.0.0' },
  { name: 'LOG_LEVEL', description: `Log level: ${LOG_LEVELS.join(', ')}.`, example: 'info' },
  { name: 'GREETING', description: 'The message GET / returns.', example: 'Hello World' },
  {
    name: 'TIMEZONE_OFFSET',
    description: 'UTC offset of the timestamp GET / returns, ±HH:MM from -12:00 to +14:00.',
    example: '+05:30',
  },
  {
    name: 'SECRET_MESSAGE',
    description:
      'A secret the service holds; never returned or logged, GET / only says whether it is set.',
    example: '',
  },
  {
    name: 'SECRET_MESSAGE_FILE',
    description:
      'Path of a file holding the secret (a mounted Secret); used when SECRET_MESSAGE is unset.',
    example: '',
  },
  {
    name: 'APP_ENV',
    description: `Environment name: ${APP_ENVIRONMENTS.join(', ')}.`,
    example: 'local',
  },
  {
    name: 'CORS_ORIGINS',
    description: "Allowed CORS origins: '*' or a comma-separated list of http(s) origins.",
    example: '*',
  },
  {
    name: 'SHUTDOWN_DELAY_MS',
    description:
      'After SIGTERM, keep serving (readiness 503) this long so load balancers stop routing here.',
    example: '5000',
  },
  {
    name: 'SHUTDOWN_TIMEOUT_MS',
    description:
      'After the delay, how long in-flight requests may take before the process gives up.',
    example: '10000',
  },
  {
    name: 'KEEP_ALIVE_TIMEOUT_MS',
    description: 'Idle keep-alive timeout; longer than a load balancer idle timeout (60 s).',
    example: '65000',
  },
  {
    name: 'HEADERS_TIMEOUT_MS',
    description: 'Time a client has to send all request headers.',
    example: '10000',
  },
  {
    name: 'REQUEST_TIMEOUT_MS',
    description: 'Time a client has to send a whole request.',
    example: '30000',
  },
  {
    name: 'BODY_LIMIT_BYTES',
    description: 'Largest request body accepted; larger bodies get 413.',
    example: '16384',
  },
  {
    name: 'EVENT_LOOP_STALL_MS',
    description: 'Event-loop delay above which GET /healthz reports the process unhealthy.',
    example: '5000',
  },
  {
    name: 'FAULT_INJECTION_ENABLED',
    description:
      'true/false: serve /status, /delay and /faults and apply the fault settings. Default: false in prod, true elsewhere.',
    example: '',
  },
  {
    name: 'FAULT_ERROR_RATE',
    description:
      'Fraction (0-1) of ordinary requests answered with 500 while fault injection is on.',
    example: '0',
  },
  {
    name: 'FAULT_LATENCY_MS',
    description: 'Latency (0-10000 ms) added to ordinary requests while fault injection is on.',
    example: '0',
  },
  {
    name: 'DELAY_MAX_SECONDS',
    description: 'Largest value GET /delay/:seconds accepts (0-60).',
    example: '10',
  },
  {
    name: 'WORK_ENDPOINT_ENABLED',
    description: 'true/false: serve the CPU-work endpoint GET /work.',
    example: 'true',
  },
  { name: 'WORK_MAX_MS', description: 'Largest ms GET /work accepts (1-1000).', example: '500' },
  {
    name: 'APP_VERSION',
    description: 'Version reported by /version; set at image build time.',
    example: '',
  },
  {
    name: 'GIT_COMMIT',
    description: "Git commit reported by /version; 'unknown' when unset.",
    example: '',
  },
  {
    name: 'BUILD_TIME',
    description: "Build time reported by /version; 'unknown' when unset.",
    example: '',
  },
];

export const CONFIG_VARIABLE_NAMES: readonly string[] = CONFIG_VARIABLES.map((v) => v.name);

/** Thrown by loadConfig with one line per bad variable. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
  }
}

const TIMEZONE_PATTERN = /^([+-])(\d{2}):(\d{2})$/;

/** Parses ±HH:MM into minutes, or returns undefined when it is not a real UTC offset. */
export function parseTimezoneOffset(text: string): number | undefined {
  const match = TIMEZONE_PATTERN.exec(text);
  if (!match) return undefined;
  const [, sign, hh, mm] = match;
  const minutes = Number(hh) * 60 + Number(mm);
  if (Number(mm) > 59) return undefined;
  const signed = sign === '-' ? -minutes : minutes;
  if (signed < -12 * 60 || signed > 14 * 60) return undefined;
  return signed;
}

/** Collects problems instead of stopping at the first, so one run names every bad variable. */
class Reader {
  readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  raw(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  }

  string(name: string, fallback: string): string {
    return this.raw(name) ?? fallback;
  }

  integer(name: string, fallback: number, min: number, max: number): number {
    const text = this.raw(name);
    if (text === undefined) return fallback;
    if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
      this.problems.push(
        `${name}=${quote(text)} is invalid: expected a whole number from ${min} to ${max}`,
      );
      return fallback;
    }
    return Number(text);
  }

  fraction(name: string, fallback: number): number {
    const text = this.raw(name);
    if (text === undefined) return fallback;
    const value = Number(text);
    if (!/^\d*\.?\d+$/.test(text) || value < 0 || value > 1) {
      this.problems.push(`${name}=${quote(text)} is invalid: expected a number from 0 to 1`);
      return fallback;
    }
    return value;
  }

  boolean(name: string, fallback: boolean): boolean {
    const text = this.raw(name);
    if (text === undefined) return fallback;
    const lower = text.toLowerCase();
    if (lower === 'true' || lower === '1') return true;
    if (lower === 'false' || lower === '0') return false;
    this.problems.push(`${name}=${quote(text)} is invalid: expected true or false`);
    return fallback;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const text = this.raw(name);
    if (text === undefined) return fallback;
    const found = allowed.find((candidate) => candidate === text);
    if (found === undefined) {
      this.problems.push(
        `${name}=${quote(text)} is invalid: expected one of ${allowed.join(', ')}`,
      );
      return fallback;
    }
    return found;
  }
}

/** Shows a bad value so the operator can spot it, but never more than a short prefix of it. */
function quote(text: string): string {
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}...` : text);
}

function readTimezone(reader: Reader): { text: string; minutes: number } {
  const text = reader.string('TIMEZONE_OFFSET', '+05:30');
  const minutes = parseTimezoneOffset(text);
  if (minutes === undefined) {
    reader.problems.push(
      `TIMEZONE_OFFSET=${quote(text)} is invalid: expected ±HH:MM from -12:00 to +14:00, for example +05:30`,
    );
    return { text: '+05:30', minutes: 330 };
  }
  return { text, minutes };
}

function readCorsOrigins(reader: Reader): '*' | readonly string[] {
  const text = reader.string('CORS_ORIGINS', '*');
  if (text === '*') return '*';
  const origins = text.split(',').map((origin) => origin.trim());
  const bad = origins.filter((origin) => !/^https?:\/\/[^/\s,]+$/.test(origin));
  if (bad.length > 0) {
    reader.problems.push(
      `CORS_ORIGINS=${quote(text)} is invalid: expected '*' or comma-separated origins like https://example.com`,
    );
    return '*';
  }
  return Object.freeze(origins);
}

/** The secret comes from SECRET_MESSAGE, else from the file SECRET_MESSAGE_FILE names. */
function readSecret(reader: Reader): string {
  const direct = reader.raw('SECRET_MESSAGE');
  if (direct !== undefined) return direct;
  const file = reader.raw('SECRET_MESSAGE_FILE');
  if (file === undefined) return '';
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    reader.problems.push(
      `SECRET_MESSAGE_FILE=${quote(file)} is invalid: expected a readable file (${code})`,
    );
    return '';
  }
}

const LOG_LEVEL_DEFAULT: LogLevel = 'info';

/**
 * Reads and validates every variable. Throws ConfigError listing every bad variable, so the
 * caller can print them and exit before listening.
 */
export function loadConfig(env: Env, packageVersion = 'unknown'): Config {
  const reader = new Reader(env);
  const appEnv = reader.oneOf('APP_ENV', APP_ENVIRONMENTS, 'local');
  const timezone = readTimezone(reader);
  const shutdownDelayMs = reader.integer('SHUTDOWN_DELAY_MS', 5000, 0, 120_000);
  const shutdownTimeoutMs = reader.integer('SHUTDOWN_TIMEOUT_MS', 10_000, 100, 300_000);
  const config: Config = {
    port: reader.integer('PORT', 8000, 0, 65_535),
    host: reader.string('HOST', '0.0.0.0'),
    logLevel: reader.oneOf('LOG_LEVEL', LOG_LEVELS, LOG_LEVEL_DEFAULT),
    greeting: reader.string('GREETING', 'Hello World'),
    timezoneOffset: timezone.text,
    timezoneOffsetMinutes: timezone.minutes,
    secretMessage: readSecret(reader),
    appEnv,
    corsOrigins: readCorsOrigins(reader),
    shutdownDelayMs,
    shutdownTimeoutMs,
    keepAliveTimeoutMs: reader.integer('KEEP_ALIVE_TIMEOUT_MS', 65_000, 1000, 600_000),
    headersTimeoutMs: reader.integer('HEADERS_TIMEOUT_MS', 10_000, 100, 120_000),
    requestTimeoutMs: reader.integer('REQUEST_TIMEOUT_MS', 30_000, 100, 600_000),
    bodyLimitBytes: reader.integer('BODY_LIMIT_BYTES', 16_384, 1, 10_485_760),
    eventLoopStallMs: reader.integer('EVENT_LOOP_STALL_MS', 5000, 100, 600_000),
    faultInjectionEnabled: reader.boolean('FAULT_INJECTION_ENABLED', appEnv !== 'prod'),
    faultErrorRate: reader.fraction('FAULT_ERROR_RATE', 0),
    faultLatencyMs: reader.integer('FAULT_LATENCY_MS', 0, 0, 10_000),
    delayMaxSeconds: reader.integer('DELAY_MAX_SECONDS', 10, 0, 60),
    workEndpointEnabled: reader.boolean('WORK_ENDPOINT_ENABLED', true),
    workMaxMs: reader.integer('WORK_MAX_MS', 500, 1, 1000),
    build: {
      version: reader.string('APP_VERSION', packageVersion),
      commit: reader.string('GIT_COMMIT', 'unknown'),
      time: reader.string('BUILD_TIME', 'unknown'),
    },
  };
  if (config.headersTimeoutMs > config.requestTimeoutMs) {
    reader.problems.push(
      `HEADERS_TIMEOUT_MS=${config.headersTimeoutMs} is invalid: it must not exceed REQUEST_TIMEOUT_MS=${config.requestTimeoutMs}`,
    );
  }
  if (reader.problems.length > 0) throw new ConfigError(reader.problems);
  return Object.freeze(config);
}

/** The configuration as it may be logged: the secret reduced to whether it is set. */
export function describeConfig(config: Config): Record<string, unknown> {
  const { secretMessage, ...rest } = config;
  return { ...rest, secret: secretMessage === '' ? 'unset' : 'configured' };
}
