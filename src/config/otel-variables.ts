// The OpenTelemetry variables the service honours, declared like every other variable (one place:
// name, meaning, default, what it accepts), with the meanings the OpenTelemetry specification
// gives them (opentelemetry-specification, specification/configuration/sdk-environment-variables.md
// and specification/protocol/exporter.md). Tracing is off unless an OTLP endpoint is set. The SDK
// is handed these values explicitly (src/tracing/sdk.ts); any other OTEL_* variable is refused
// at start (unknownOtelVariables), so no setting reaches the SDK behind the configuration's back
// and a misspelt name cannot silently leave tracing off.
import { SERVICE_NAME } from './service-identity.js';
import {
  flag,
  fraction,
  integer,
  Invalid,
  oneOf,
  text,
  variable,
  type Env,
  type Variable,
} from './variable-kinds.js';

const SAMPLERS = [
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
  'always_on',
  'always_off',
  'traceidratio',
] as const;
export type SamplerName = (typeof SAMPLERS)[number];

const ENDPOINT_EXPECTED =
  'an http:// or https:// URL without user:password, such as http://tempo.monitoring:4318';

/** An OTLP/HTTP endpoint: credentials belong in OTEL_EXPORTER_OTLP_HEADERS, never in a URL that is logged. */
function parseEndpoint(value: string): string | Invalid {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return new Invalid();
  }
  const plainHttp = url.protocol === 'http:' || url.protocol === 'https:';
  return plainHttp && url.username === '' && url.password === '' ? value : new Invalid();
}

/**
 * A refused endpoint is echoed so the operator can spot the mistake, but any user:password in
 * it is not: everything up to an @ in the authority (with or without a scheme) is replaced.
 */
function hideCredentials(text: string): string {
  return text.replace(/^([a-z][a-z0-9+.-]*:\/\/)?[^/@]*@/i, '$1<credentials>@');
}

const endpoint = (name: string, description: string) =>
  variable<string | undefined>(
    { name, description, default: undefined, redact: hideCredentials },
    { expected: ENDPOINT_EXPECTED, parse: parseEndpoint, format: (value) => value ?? '' },
  );

/**
 * The W3C Baggage-style list the specification uses for OTEL_RESOURCE_ATTRIBUTES and
 * OTEL_EXPORTER_OTLP_HEADERS: `key1=value1,key2=value2`, values percent-encoded.
 */
function parseKeyValueList(value: string): Readonly<Record<string, string>> | Invalid {
  const pairs: Record<string, string> = {};
  for (const item of value.split(',')) {
    const at = item.indexOf('=');
    const key = item.slice(0, at).trim();
    if (at < 1 || key === '') return new Invalid();
    try {
      pairs[key] = decodeURIComponent(item.slice(at + 1).trim());
    } catch {
      return new Invalid();
    }
  }
  return Object.freeze(pairs);
}

const formatKeyValueList = (pairs: Readonly<Record<string, string>>) =>
  Object.entries(pairs)
    .map(([key, value]) => `${key}=${encodeURIComponent(value)}`)
    .join(',');

export const OTEL_VARIABLES = {
  otelSdkDisabled: flag({
    name: 'OTEL_SDK_DISABLED',
    description: 'true turns tracing off even when an endpoint is set.',
    default: false,
  }),
  otelTracesExporter: oneOf({
    name: 'OTEL_TRACES_EXPORTER',
    description: 'Where spans go: otlp (when an endpoint is set) or none.',
    default: 'otlp',
    choices: ['otlp', 'none'],
  }),
  otelExporterOtlpEndpoint: endpoint(
    'OTEL_EXPORTER_OTLP_ENDPOINT',
    'OTLP/HTTP base URL; spans go to <it>/v1/traces. Unset (the default): tracing is off.',
  ),
  otelExporterOtlpTracesEndpoint: endpoint(
    'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
    'Full OTLP/HTTP URL for spans, used as is; wins over OTEL_EXPORTER_OTLP_ENDPOINT.',
  ),
  otelExporterOtlpProtocol: oneOf({
    name: 'OTEL_EXPORTER_OTLP_PROTOCOL',
    description: 'OTLP transport; the service exports protobuf over HTTP only.',
    default: 'http/protobuf',
    choices: ['http/protobuf'],
  }),
  otelExporterOtlpHeaders: variable<Readonly<Record<string, string>>>(
    {
      name: 'OTEL_EXPORTER_OTLP_HEADERS',
      description: 'Headers sent with every export, e.g. a backend token; never logged.',
      default: Object.freeze({}),
      secret: true,
    },
    {
      expected: 'key=value pairs separated by commas, values percent-encoded',
      parse: parseKeyValueList,
      format: formatKeyValueList,
    },
  ),
  otelExporterOtlpTimeout: integer({
    name: 'OTEL_EXPORTER_OTLP_TIMEOUT',
    description: 'How long one export may take, in ms.',
    default: 10_000,
    min: 100,
    max: 60_000,
  }),
  otelTracesSampler: oneOf({
    name: 'OTEL_TRACES_SAMPLER',
    description:
      "Which requests are traced; parentbased_* follow the caller's sampled flag in traceparent.",
    default: 'parentbased_always_on',
    choices: SAMPLERS,
  }),
  otelTracesSamplerArg: fraction({
    name: 'OTEL_TRACES_SAMPLER_ARG',
    description: 'Fraction of new traces kept by the traceidratio samplers.',
    default: 1,
  }),
  otelServiceName: text({
    name: 'OTEL_SERVICE_NAME',
    description: 'service.name of every span.',
    default: SERVICE_NAME,
  }),
  otelResourceAttributes: variable<Readonly<Record<string, string>>>(
    {
      name: 'OTEL_RESOURCE_ATTRIBUTES',
      description:
        'Extra resource attributes, e.g. k8s.pod.name=...; version, commit and environment are set already.',
      default: Object.freeze({}),
    },
    {
      expected: 'key=value pairs separated by commas, values percent-encoded',
      parse: parseKeyValueList,
      format: formatKeyValueList,
    },
  ),
} satisfies Record<string, Variable<unknown>>;

type OtelValues = {
  readonly [K in keyof typeof OTEL_VARIABLES]: (typeof OTEL_VARIABLES)[K] extends Variable<infer T>
    ? T
    : never;
};

/** What the tracing preload needs, worked out from the OTEL_* values. */
export interface TracingConfig {
  /** True when spans are exported: an endpoint is set and neither switch turns tracing off. */
  readonly enabled: boolean;
  /** Where spans are POSTed; '' when tracing is off. */
  readonly tracesUrl: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly exportTimeoutMs: number;
  readonly sampler: SamplerName;
  readonly samplerRatio: number;
  readonly serviceName: string;
  readonly resourceAttributes: Readonly<Record<string, string>>;
}

/** The specification's rule: the signal path is appended to the base endpoint, the signal's own URL is used as is. */
function tracesUrlOf(values: OtelValues): string {
  if (values.otelExporterOtlpTracesEndpoint !== undefined)
    return values.otelExporterOtlpTracesEndpoint;
  const base = values.otelExporterOtlpEndpoint;
  if (base === undefined) return '';
  return `${base.endsWith('/') ? base : `${base}/`}v1/traces`;
}

export function tracingConfig(values: OtelValues): TracingConfig {
  const tracesUrl = tracesUrlOf(values);
  return Object.freeze({
    enabled: tracesUrl !== '' && !values.otelSdkDisabled && values.otelTracesExporter === 'otlp',
    tracesUrl,
    headers: values.otelExporterOtlpHeaders,
    exportTimeoutMs: values.otelExporterOtlpTimeout,
    sampler: values.otelTracesSampler,
    samplerRatio: values.otelTracesSamplerArg,
    serviceName: values.otelServiceName,
    resourceAttributes: values.otelResourceAttributes,
  });
}

const OTEL_NAMES = new Set(Object.values(OTEL_VARIABLES).map((v) => v.name));

/** One problem per OTEL_* variable in the environment that the service does not declare. */
export function unknownOtelVariables(env: Env): string[] {
  return Object.keys(env)
    .filter((name) => name.startsWith('OTEL_') && !OTEL_NAMES.has(name))
    .sort()
    .map(
      (name) =>
        `${name} is not an OpenTelemetry variable this service reads: expected one of ${[...OTEL_NAMES].join(', ')}`,
    );
}
