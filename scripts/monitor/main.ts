// `make monitor`: the local monitoring stack for a person at a browser. Starts the built service
// (fault injection on, tracing on), Alertmanager and Prometheus with the shipped rules and routes
// (exemplar storage on), a webhook sink that prints each notification the receivers would have
// sent (Slack, heartbeat), and an OTLP trace receiver that prints one line per request's server
// span: Tempo cannot run here (neither Debian nor npm ships it), so the receiver stands in for it
// and the trace ids it prints are the ones in the access log and in Prometheus's exemplars.
// Ctrl-C (or SIGTERM) stops everything and exits 0. The local target is labelled namespace
// "prod" so the prod-only SLO alerts apply too.
// Ports: MONITOR_SERVICE_PORT (8000), MONITOR_PROMETHEUS_PORT (9090),
// MONITOR_ALERTMANAGER_PORT (9093), MONITOR_WEBHOOK_PORT (9095), MONITOR_TRACES_PORT (4318);
// files: MONITOR_DIR (.tmp/monitor).
import { randomBytes } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { integerFlag } from '../lib/integer-flag.js';
import {
  SPAN_KIND,
  startTraceReceiver,
  type ReceivedSpan,
  type TraceReceiver,
} from '../lib/otlp-traces.js';
import { startServiceProcess, type LocalProcess } from './processes.js';
import { startMonitoringStack, type MonitoringStack } from './stack.js';
import { notificationTitle, type Notification } from './webhook-sink.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SERVER_ENTRY = `${ROOT}dist/server.js`;
/** The image's ENTRYPOINT starts the service behind this preload (Dockerfile). */
const TRACING_PRELOAD = `${ROOT}dist/tracing-preload.js`;
/** Configs, rules and data of the local engines. */
const WORK_DIR = process.env.MONITOR_DIR ?? `${ROOT}.tmp/monitor`;

const port = (variable: string, fallback: number): number =>
  integerFlag(variable, process.env[variable], { min: 1, max: 65535, fallback });

async function assertFree(what: string, portNumber: number, variable: string): Promise<void> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', () => {
      reject(
        new Error(
          `port ${portNumber} (${what}) is in use on 127.0.0.1: free it or set ${variable}`,
        ),
      );
    });
    server.listen(portNumber, '127.0.0.1', () => {
      server.close(() => {
        resolve();
      });
    });
  });
}

function describe(notification: Notification): string {
  return `notification -> ${notification.path}: ${notificationTitle(notification)}`;
}

/** One line per request: its trace id, route, status and duration. */
function describeSpans(spans: ReceivedSpan[]): string[] {
  return spans
    .filter((span) => span.kind === SPAN_KIND.SERVER)
    .map(
      (span) =>
        `trace ${span.traceId} ${span.name} -> ${String(span.attributes['http.response.status_code'] ?? '?')} in ${span.durationMs.toFixed(1)} ms`,
    );
}

async function main(): Promise<void> {
  if (!existsSync(SERVER_ENTRY))
    throw new Error(`${SERVER_ENTRY} is missing: run "make build" first`);
  const ports = {
    service: port('MONITOR_SERVICE_PORT', 8000),
    prometheus: port('MONITOR_PROMETHEUS_PORT', 9090),
    alertmanager: port('MONITOR_ALERTMANAGER_PORT', 9093),
    webhook: port('MONITOR_WEBHOOK_PORT', 9095),
    traces: port('MONITOR_TRACES_PORT', 4318),
  };
  await assertFree('hello-api', ports.service, 'MONITOR_SERVICE_PORT');
  await assertFree('Prometheus', ports.prometheus, 'MONITOR_PROMETHEUS_PORT');
  await assertFree('Alertmanager', ports.alertmanager, 'MONITOR_ALERTMANAGER_PORT');
  await assertFree('webhook sink', ports.webhook, 'MONITOR_WEBHOOK_PORT');
  await assertFree('trace receiver', ports.traces, 'MONITOR_TRACES_PORT');
  // A fresh start each time: yesterday's TSDB would mix with today's experiment. Only the data
  // folders the stack creates are removed (configs are rewritten), whatever MONITOR_DIR is.
  for (const data of ['prometheus-data', 'alertmanager-data'])
    rmSync(join(WORK_DIR, data), { recursive: true, force: true });

  // Filled in as each part starts, so a signal during start-up stops what already runs.
  const running: { service?: LocalProcess; stack?: MonitoringStack; traces?: TraceReceiver } = {};
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(
      `${signal}: stopping Prometheus, Alertmanager, the webhook sink, hello-api and the trace receiver`,
    );
    await running.stack?.stop();
    await running.service?.stop();
    await running.traces?.close();
    console.log('monitoring stack stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  const traces = await startTraceReceiver(ports.traces, (spans) => {
    for (const line of describeSpans(spans)) console.log(line);
  });
  running.traces = traces;
  // No load balancer to drain locally, so no drain delay: Ctrl-C stops at once. The fault
  // switch needs a token: a fresh one per run, printed below for the drill (local use only).
  const faultToken = randomBytes(32).toString('hex');
  const service = await startServiceProcess(
    SERVER_ENTRY,
    ports.service,
    {
      FAULT_INJECTION_ENABLED: 'true',
      FAULT_TOKEN: faultToken,
      SHUTDOWN_DELAY_MS: '0',
      OTEL_EXPORTER_OTLP_ENDPOINT: traces.endpoint,
    },
    ['--import', TRACING_PRELOAD],
  );
  running.service = service;
  const stack = await startMonitoringStack({
    dir: WORK_DIR,
    servicePort: ports.service,
    prometheusPort: ports.prometheus,
    alertmanagerPort: ports.alertmanager,
    sinkPort: ports.webhook,
    environment: 'prod',
    interval: '15s',
    onNotification: (notification) => {
      console.log(describe(notification));
    },
  });

  running.stack = stack;

  const svc = service.url;
  console.log(
    [
      'monitoring stack ready (Ctrl-C stops it):',
      `  hello-api     ${svc}/  (metrics at ${svc}/metrics)`,
      `  Prometheus    ${stack.prometheus.url}/alerts  (targets: /targets, rules: /rules)`,
      `  Alertmanager  ${stack.alertmanager.url}/#/alerts`,
      `  receivers     ${stack.sink.url}/pager, /team and /heartbeat (the Watchdog, about once a minute): printed here`,
      `  traces        ${traces.endpoint}/v1/traces: one line per request printed here (a stand-in for Tempo)`,
      `  exemplars     ${stack.prometheus.url}/graph: http_request_duration_seconds_bucket, "Show exemplars"`,
      'try a drill:',
      `  curl -X PUT -H 'content-type: application/json' -H 'authorization: Bearer ${faultToken}' -d '{"errorRate":0.5}' ${svc}/faults`,
      `  while true; do curl -s -o /dev/null ${svc}/; sleep 0.1; done`,
    ].join('\n'),
  );
}

main().catch((error: unknown) => {
  console.error(`make monitor: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
