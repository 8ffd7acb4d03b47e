// Environment -> typed, validated, frozen configuration. This is the only module that reads
// environment variables; everything else receives a Config. Each variable is declared once, in
// config/variables.ts; this file reads them all, applies the rules that span two variables, and
// reads the secret file.
import { readFileSync } from 'node:fs';
import type { DefaultContext, Env, ValueOf, Variable } from './config/variable-kinds.js';
import {
  tracingConfig,
  unknownOtelVariables,
  type TracingConfig,
} from './config/otel-variables.js';
import {
  CONFIG_VARIABLES,
  FAULT_TOKEN_EXPECTED,
  isFaultToken,
  VARIABLES,
} from './config/variables.js';

type Values = { readonly [K in keyof typeof VARIABLES]: ValueOf<(typeof VARIABLES)[K]> };

export interface Config {
  readonly port: number;
  readonly host: string;
  readonly logLevel: Values['logLevel'];
  readonly greeting: string;
  /** Offset from UTC in minutes, parsed from TIMEZONE_OFFSET (±HH:MM). */
  readonly timezoneOffsetMinutes: number;
  /** The secret itself: only ever compared with '' and never returned or logged. */
  readonly secretMessage: string;
  readonly appEnv: Values['appEnv'];
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
  /** Bearer token PUT /faults requires; '' when unset (then PUT /faults is not served). Never logged. */
  readonly faultToken: string;
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
  /** OpenTelemetry tracing, from the OTEL_* variables (config/otel-variables.ts). */
  readonly tracing: TracingConfig;
}

export const CONFIG_VARIABLE_NAMES: readonly string[] = CONFIG_VARIABLES.map((v) => v.name);

/** Thrown by loadConfig with one line per bad variable. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
  }
}

interface SecretSource {
  /** The file variable, whose problems are reported (never with its value). */
  readonly fileVariable: Variable<string | undefined>;
  /** What the file must hold beyond "something"; undefined accepts any non-empty text. */
  readonly accepts?: { readonly test: (secret: string) => boolean; readonly expected: string };
}

/** The secret given directly, else read from the file its _FILE variable names (non-empty). */
function readSecret(
  direct: string,
  file: string | undefined,
  { fileVariable, accepts }: SecretSource,
  problems: string[],
): string {
  if (direct !== '' || file === undefined) return direct;
  const { problem, expected } = fileVariable;
  try {
    const secret = readFileSync(file, 'utf8').trim();
    if (secret === '') {
      problems.push(problem(file, 'a file that holds the secret, not an empty one'));
    } else if (accepts && !accepts.test(secret)) {
      problems.push(problem(file, `a file that holds ${accepts.expected}`));
    }
    return secret;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    problems.push(problem(file, `${expected} (${code})`));
    return '';
  }
}

/** Reads every variable in declaration order; a bad one records its problem and keeps its default. */
function readAll(env: Env, context: DefaultContext, problems: string[]): Values {
  const values: Record<string, unknown> = {};
  for (const [key, variable] of Object.entries(VARIABLES)) {
    const result = variable.read(env, context);
    if ('value' in result) {
      values[key] = result.value;
    } else {
      problems.push(result.problem);
      values[key] = variable.fallback(context);
    }
  }
  return values as Values;
}

/**
 * Reads and validates every variable. Throws ConfigError listing every bad variable, so the
 * caller can print them and exit before listening.
 */
export function loadConfig(env: Env, packageVersion = 'unknown'): Config {
  const problems: string[] = [];
  // Defaults may depend on APP_ENV; a bad APP_ENV is reported with the others below.
  const appEnv = VARIABLES.appEnv.read(env, { appEnv: 'local', packageVersion });
  const context = { appEnv: 'value' in appEnv ? appEnv.value : 'local', packageVersion };
  const values = readAll(env, context, problems);
  const { headersTimeoutMs, requestTimeoutMs } = values;
  if (headersTimeoutMs > requestTimeoutMs) {
    problems.push(
      `HEADERS_TIMEOUT_MS=${headersTimeoutMs} is invalid: it must not exceed REQUEST_TIMEOUT_MS=${requestTimeoutMs}`,
    );
  }
  problems.push(...unknownOtelVariables(env));
  const config: Config = {
    port: values.port,
    host: values.host,
    logLevel: values.logLevel,
    greeting: values.greeting,
    timezoneOffsetMinutes: values.timezoneOffsetMinutes,
    secretMessage: readSecret(
      values.secretMessage,
      values.secretMessageFile,
      { fileVariable: VARIABLES.secretMessageFile },
      problems,
    ),
    appEnv: values.appEnv,
    corsOrigins: values.corsOrigins,
    shutdownDelayMs: values.shutdownDelayMs,
    shutdownTimeoutMs: values.shutdownTimeoutMs,
    keepAliveTimeoutMs: values.keepAliveTimeoutMs,
    headersTimeoutMs,
    requestTimeoutMs,
    bodyLimitBytes: values.bodyLimitBytes,
    eventLoopStallMs: values.eventLoopStallMs,
    faultInjectionEnabled: values.faultInjectionEnabled,
    faultToken: readSecret(
      values.faultToken,
      values.faultTokenFile,
      {
        fileVariable: VARIABLES.faultTokenFile,
        accepts: { test: isFaultToken, expected: FAULT_TOKEN_EXPECTED },
      },
      problems,
    ),
    faultErrorRate: values.faultErrorRate,
    faultLatencyMs: values.faultLatencyMs,
    delayMaxSeconds: values.delayMaxSeconds,
    workEndpointEnabled: values.workEndpointEnabled,
    workMaxMs: values.workMaxMs,
    build: { version: values.appVersion, commit: values.gitCommit, time: values.buildTime },
    tracing: tracingConfig(values),
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(config);
}

/** The configuration as it may be logged: the secret and the token reduced to whether they are set. */
export function describeConfig(config: Config): Record<string, unknown> {
  const { secretMessage, faultToken, tracing, ...rest } = config;
  const { headers, ...tracingRest } = tracing;
  return {
    ...rest,
    secret: secretMessage === '' ? 'unset' : 'configured',
    faultTokenSet: faultToken !== '',
    // Export headers may hold a backend's token: only their names are shown.
    tracing: { ...tracingRest, headers: Object.keys(headers) },
  };
}
