// Every environment variable the service reads, each declared once: name, meaning, default,
// what it allows and how it is parsed. .env.example is generated from this list (`make
// env-example`), loadConfig (config.ts) reads it, and the tests check the Kubernetes manifests
// against it. Order here is the order of .env.example.
import { isIP } from 'node:net';
import { isBearerToken } from '../http/bearer-auth.js';
import { OTEL_VARIABLES } from './otel-variables.js';
import {
  DerivedDefault,
  flag,
  fraction,
  integer,
  Invalid,
  oneOf,
  text,
  variable,
  type Variable,
} from './variable-kinds.js';

const TIMEZONE_PATTERN = /^([+-])(\d{2}):(\d{2})$/;

/** Parses ±HH:MM into minutes, or returns undefined when it is not a real UTC offset. */
export function parseTimezoneOffset(value: string): number | undefined {
  const match = TIMEZONE_PATTERN.exec(value);
  if (!match) return undefined;
  const [, sign, hh, mm] = match;
  if (Number(mm) > 59) return undefined;
  const minutes = Number(hh) * 60 + Number(mm);
  const signed = sign === '-' ? -minutes : minutes;
  return signed < -12 * 60 || signed > 14 * 60 ? undefined : signed;
}

function formatTimezoneOffset(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const absolute = Math.abs(minutes);
  const hh = String(Math.floor(absolute / 60)).padStart(2, '0');
  const mm = String(absolute % 60).padStart(2, '0');
  return `${sign}${hh}:${mm}`;
}

/** Long enough that guessing it over the network is hopeless (128 bits as hex). */
const FAULT_TOKEN_MIN_LENGTH = 32;
export const FAULT_TOKEN_EXPECTED = `a bearer token of at least ${FAULT_TOKEN_MIN_LENGTH} characters from A-Z a-z 0-9 - . _ ~ + / (RFC 6750), e.g. from openssl rand -hex 32`;

export function isFaultToken(value: string): boolean {
  return value.length >= FAULT_TOKEN_MIN_LENGTH && isBearerToken(value);
}

export const VARIABLES = {
  port: integer({
    name: 'PORT',
    description: 'TCP port to listen on; 0 picks a free port.',
    default: 8000,
    min: 0,
    max: 65_535,
  }),
  // An address, not a name to resolve: a name that does not resolve would only fail at listen.
  host: variable(
    {
      name: 'HOST',
      description: 'Address to bind; 0.0.0.0 inside containers.',
      default: '0.0.0.0',
    },
    {
      expected: 'an IP address to bind, such as 0.0.0.0, :: or 127.0.0.1, or localhost',
      parse: (value) => (isIP(value) !== 0 || value === 'localhost' ? value : new Invalid()),
      format: (value) => value,
    },
  ),
  logLevel: oneOf({
    name: 'LOG_LEVEL',
    description: 'Log level.',
    default: 'info',
    choices: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
  }),
  greeting: text({
    name: 'GREETING',
    description: 'The message GET / returns.',
    default: 'Hello World',
  }),
  timezoneOffsetMinutes: variable(
    {
      name: 'TIMEZONE_OFFSET',
      description: 'UTC offset of the timestamp GET / returns.',
      default: 330,
    },
    {
      expected: '±HH:MM from -12:00 to +14:00, for example +05:30',
      parse: (value) => parseTimezoneOffset(value) ?? new Invalid(),
      format: formatTimezoneOffset,
    },
  ),
  secretMessage: text({
    name: 'SECRET_MESSAGE',
    description:
      'A secret the service holds; never returned or logged, GET / only says whether it is set.',
    default: '',
    secret: true,
  }),
  secretMessageFile: variable<string | undefined>(
    {
      name: 'SECRET_MESSAGE_FILE',
      description:
        'Path of a file holding the secret (a mounted Secret); used when SECRET_MESSAGE is unset.',
      default: undefined,
      // A secret pasted into the wrong variable must not end up in the log.
      secret: true,
    },
    {
      expected: 'the path of a readable file that holds the secret',
      parse: (value) => value,
      format: (value) => value ?? '',
    },
  ),
  appEnv: oneOf({
    name: 'APP_ENV',
    description: 'Environment name.',
    default: 'local',
    choices: ['local', 'dev', 'stage', 'prod'],
  }),
  corsOrigins: variable<'*' | readonly string[]>(
    { name: 'CORS_ORIGINS', description: 'Allowed CORS origins.', default: '*' },
    {
      expected: "'*' or comma-separated origins like https://example.com",
      parse(value) {
        if (value === '*') return '*';
        const origins = value.split(',').map((origin) => origin.trim());
        const valid = origins.every((origin) => /^https?:\/\/[^/\s,]+$/.test(origin));
        return valid ? Object.freeze(origins) : new Invalid();
      },
      format: (value) => (value === '*' ? '*' : value.join(',')),
    },
  ),
  shutdownDelayMs: integer({
    name: 'SHUTDOWN_DELAY_MS',
    description:
      'After SIGTERM, keep serving (readiness 503) this long so load balancers stop routing here.',
    default: 5000,
    min: 0,
    max: 120_000,
  }),
  shutdownTimeoutMs: integer({
    name: 'SHUTDOWN_TIMEOUT_MS',
    description:
      'After the delay, how long in-flight requests may take before the process gives up.',
    default: 10_000,
    min: 100,
    max: 300_000,
  }),
  keepAliveTimeoutMs: integer({
    name: 'KEEP_ALIVE_TIMEOUT_MS',
    description: 'Idle keep-alive timeout; longer than a load balancer idle timeout (60 s).',
    default: 65_000,
    min: 1000,
    max: 600_000,
  }),
  headersTimeoutMs: integer({
    name: 'HEADERS_TIMEOUT_MS',
    description: 'Time a client has to send all request headers; at most REQUEST_TIMEOUT_MS.',
    default: 10_000,
    min: 100,
    max: 120_000,
  }),
  requestTimeoutMs: integer({
    name: 'REQUEST_TIMEOUT_MS',
    description: 'Time a client has to send a whole request.',
    default: 30_000,
    min: 100,
    max: 600_000,
  }),
  bodyLimitBytes: integer({
    name: 'BODY_LIMIT_BYTES',
    description: 'Largest request body accepted; larger bodies get 413.',
    default: 16_384,
    min: 1,
    max: 10_485_760,
  }),
  eventLoopStallMs: integer({
    name: 'EVENT_LOOP_STALL_MS',
    description: 'Event-loop delay above which GET /healthz reports the process unhealthy.',
    default: 5000,
    min: 100,
    max: 600_000,
  }),
  faultInjectionEnabled: flag({
    name: 'FAULT_INJECTION_ENABLED',
    description: 'Serve /status, /delay and /faults and apply the fault settings.',
    default: new DerivedDefault('false in prod, true elsewhere', ({ appEnv }) => appEnv !== 'prod'),
  }),
  faultToken: variable<string>(
    {
      name: 'FAULT_TOKEN',
      description:
        'Bearer token PUT /faults requires; unset, the fault settings can be read but not changed.',
      default: '',
      secret: true,
    },
    {
      expected: FAULT_TOKEN_EXPECTED,
      parse: (value) => (isFaultToken(value) ? value : new Invalid()),
      format: (value) => value,
    },
  ),
  faultTokenFile: variable<string | undefined>(
    {
      name: 'FAULT_TOKEN_FILE',
      description: 'Path of a file holding FAULT_TOKEN (a mounted Secret); used when it is unset.',
      default: undefined,
      secret: true,
    },
    {
      expected: 'the path of a readable file that holds the token',
      parse: (value) => value,
      format: (value) => value ?? '',
    },
  ),
  faultErrorRate: fraction({
    name: 'FAULT_ERROR_RATE',
    description: 'Fraction of ordinary requests answered with 500 while fault injection is on.',
    default: 0,
  }),
  faultLatencyMs: integer({
    name: 'FAULT_LATENCY_MS',
    description: 'Latency added to ordinary requests while fault injection is on.',
    default: 0,
    min: 0,
    max: 10_000,
  }),
  delayMaxSeconds: integer({
    name: 'DELAY_MAX_SECONDS',
    description: 'Largest value GET /delay/:seconds accepts.',
    default: 10,
    min: 0,
    max: 60,
  }),
  workEndpointEnabled: flag({
    name: 'WORK_ENDPOINT_ENABLED',
    description: 'Serve the CPU-work endpoint GET /work.',
    default: true,
  }),
  workMaxMs: integer({
    name: 'WORK_MAX_MS',
    description: 'Largest ms GET /work accepts.',
    default: 500,
    min: 1,
    max: 1000,
  }),
  appVersion: text({
    name: 'APP_VERSION',
    description: 'Version reported by /version; set at image build time.',
    default: new DerivedDefault('the version in package.json', (c) => c.packageVersion),
  }),
  gitCommit: text({
    name: 'GIT_COMMIT',
    description: 'Git commit reported by /version; set at image build time.',
    default: 'unknown',
  }),
  buildTime: text({
    name: 'BUILD_TIME',
    description: 'Build time reported by /version; set at image build time.',
    default: 'unknown',
  }),
  // OpenTelemetry's own names and meanings, declared in otel-variables.ts.
  ...OTEL_VARIABLES,
} satisfies Record<string, Variable<unknown>>;

/** Every variable, in declaration order. */
export const CONFIG_VARIABLES: readonly Variable<unknown>[] = Object.values(VARIABLES);
