// On the kind cluster: a request that carries a caller's W3C traceparent is traced end to end.
// Its trace is found by id in Tempo (continuing the caller's span, named by route template, with
// the pod's resource), its id is in the pod's access-log line and in the exemplar Prometheus
// stored for the request histogram; a probe makes no trace; Tempo's spans port takes spans from
// hello-api pods and refuses a pod of another namespace. dev traces every request, prod follows
// the caller's sampled flag. Tempo's Service name, namespace and ports are read from k8s/monitoring
// as rendered, not written down in test/e2e/lib/facts.ts, so they cannot drift from it.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { MONITORING_DIR, render } from '../../scripts/cluster/manifests.js';
import { spansOf, SPAN_KIND, type ReceivedSpan } from '../../scripts/lib/otlp-traces.js';
import { clusterNodes } from './lib/cluster.js';
import {
  APP,
  EGRESS_SOURCE,
  MONITORING,
  environmentUrls,
  prometheusUrl,
  type Environment,
} from './lib/facts.js';
import {
  appImage,
  createNamespace,
  deleteNamespace,
  fetchFromPod,
  podObject,
  waitForPodReady,
} from './lib/fixtures.js';
import { applyObjects, isReady, kubectlOk, pods } from './lib/kubectl.js';
import { portForward, type Forward } from './lib/port-forward.js';
import { waitFor } from './lib/wait.js';

const MINUTES = 60_000;
/** A namespace of this file's own for the probe pod; removed after. */
const PROBE_NAMESPACE = 'e2e-tracing-probe';
const PROBE = 'probe';

/** Tempo's Service and its two ports, from k8s/monitoring as rendered. */
function tempoService(): { name: string; namespace: string; http: number; otlp: number } {
  const service = render('kubectl', MONITORING_DIR).find(
    (m) => m.kind === 'Service' && m.metadata?.name === 'tempo',
  ) as
    | {
        metadata: { name: string; namespace: string };
        spec: { ports: { name: string; port: number }[] };
      }
    | undefined;
  if (!service) throw new Error('k8s/monitoring renders no Service/tempo');
  const port = (name: string) => {
    const found = service.spec.ports.find((p) => p.name === name)?.port;
    if (found === undefined) throw new Error(`Service/tempo has no port ${name}`);
    return found;
  };
  return {
    name: service.metadata.name,
    namespace: service.metadata.namespace,
    http: port('http'),
    otlp: port('otlp-http'),
  };
}

function traceparent(sampled: boolean): { traceId: string; spanId: string; header: string } {
  const traceId = randomBytes(16).toString('hex');
  const spanId = randomBytes(8).toString('hex');
  return { traceId, spanId, header: `00-${traceId}-${spanId}-${sampled ? '01' : '00'}` };
}

describe('tracing on the cluster', { timeout: 15 * MINUTES }, () => {
  const tempo = tempoService();
  let tempoApi: Forward | undefined;
  let urls: Record<Environment, string>;

  /** The trace's spans from Tempo's API (protobuf: tempopb.Trace, laid out as an OTLP export). */
  async function traceSpans(traceId: string): Promise<ReceivedSpan[] | undefined> {
    assert.ok(tempoApi);
    const response = await fetch(`${tempoApi.url}/api/traces/${traceId}`, {
      headers: { accept: 'application/protobuf' },
      signal: AbortSignal.timeout(10_000),
    });
    if (response.status === 404) return undefined;
    assert.equal(response.status, 200, `Tempo GET /api/traces/${traceId}`);
    return spansOf(Buffer.from(await response.arrayBuffer()));
  }

  const traceInTempo = (traceId: string, what: string) =>
    waitFor(
      what,
      async () => {
        const spans = await traceSpans(traceId);
        const server = spans?.find((span) => span.kind === SPAN_KIND.SERVER);
        return {
          done: server !== undefined,
          value: spans ?? [],
          seen: `${spans?.length ?? 0} spans`,
        };
      },
      { timeoutMs: 3 * MINUTES, intervalMs: 5_000 },
    );

  before(async () => {
    await clusterNodes();
    urls = environmentUrls();
    tempoApi = await portForward(tempo.namespace, `svc/${tempo.name}`, tempo.http);
    await createNamespace(PROBE_NAMESPACE);
    await applyObjects([
      podObject({
        name: PROBE,
        namespace: PROBE_NAMESPACE,
        image: await appImage(),
        command: ['node', '-e', 'setInterval(() => {}, 1 << 30)'],
      }),
    ]);
    await waitForPodReady(PROBE_NAMESPACE, PROBE);
  });

  after(async () => {
    await tempoApi?.close();
    await deleteNamespace(PROBE_NAMESPACE);
  });

  test(
    "dev: a caller's trace is in Tempo by id, in the pod's access log and in Prometheus's exemplar",
    { timeout: 8 * MINUTES },
    async () => {
      const caller = traceparent(true);
      const response = await fetch(`${urls.dev}/work?ms=20`, {
        headers: { traceparent: caller.header },
      });
      assert.equal(response.status, 200);
      await response.text();

      const spans = await traceInTempo(caller.traceId, `trace ${caller.traceId} in Tempo`);
      const server = spans.find((span) => span.kind === SPAN_KIND.SERVER);
      assert.ok(server);
      assert.equal(server.name, 'GET /work');
      assert.equal(server.parentSpanId, caller.spanId, "continues the caller's span");
      assert.equal(server.resource['service.name'], 'hello-api');
      assert.equal(server.resource['deployment.environment.name'], 'dev');
      assert.equal(server.resource['k8s.namespace.name'], 'dev');
      const pod = String(server.resource['host.name']);
      assert.ok(
        (await pods('dev', APP.selector)).some((p) => p.metadata.name === pod),
        `host.name ${pod} is a dev hello-api pod`,
      );

      // The pod that served it logged the same trace id and the server span's id.
      const logs = await kubectlOk(['-n', 'dev', 'logs', pod, '-c', APP.container, '--since=10m']);
      const line = logs
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .find((record) => record.trace_id === caller.traceId);
      assert.ok(line, `an access-log line with trace_id ${caller.traceId} in ${pod}`);
      assert.equal(line.span_id, server.spanId);
      assert.equal(line.route, '/work');

      // Prometheus scraped the exemplar (OpenMetrics) and stored it (exemplar storage).
      const prometheus = prometheusUrl();
      const query = encodeURIComponent(
        'http_request_duration_seconds_bucket{job="hello-api", namespace="dev"}',
      );
      await waitFor(
        `the exemplar with trace_id ${caller.traceId} in Prometheus`,
        async () => {
          const end = Date.now() / 1000;
          const body = (await (
            await fetch(
              `${prometheus}/api/v1/query_exemplars?query=${query}&start=${end - 900}&end=${end + 60}`,
            )
          ).json()) as {
            data?: {
              seriesLabels: Record<string, string>;
              exemplars: { labels: Record<string, string> }[];
            }[];
          };
          const series = (body.data ?? []).find((s) =>
            s.exemplars.some((e) => e.labels.trace_id === caller.traceId),
          );
          return {
            done: series !== undefined,
            value: series,
            seen: `${body.data?.length ?? 0} series with exemplars`,
          };
        },
        { timeoutMs: 2 * MINUTES, intervalMs: 5_000 },
      );
    },
  );

  test(
    'prod follows the caller: a sampled traceparent is traced, probes never are',
    { timeout: 5 * MINUTES },
    async () => {
      const caller = traceparent(true);
      await (
        await fetch(`${urls.prod}/version`, { headers: { traceparent: caller.header } })
      ).text();
      const probe = traceparent(true);
      await (
        await fetch(`${urls.prod}/healthz`, { headers: { traceparent: probe.header } })
      ).text();
      const spans = await traceInTempo(
        caller.traceId,
        `the sampled prod trace ${caller.traceId} in Tempo`,
      );
      assert.equal(
        spans.find((s) => s.kind === SPAN_KIND.SERVER)?.resource['deployment.environment.name'],
        'prod',
      );
      // The probe's request went through the same pods at the same time: it left no trace.
      assert.equal(await traceSpans(probe.traceId), undefined, 'no trace for GET /healthz');
    },
  );

  test(
    "Tempo's spans port: open to a hello-api pod, closed to a pod of another namespace",
    { timeout: 3 * MINUTES },
    async () => {
      const otlp = `http://${tempo.name}.${tempo.namespace}.svc.cluster.local:${tempo.otlp}/v1/traces`;
      const app = (await pods(EGRESS_SOURCE, APP.selector)).find(isReady);
      assert.ok(app, `no ready hello-api pod in ${EGRESS_SOURCE}`);
      // A GET is not an export: any answer (405) proves the connection was let through.
      const fromApp = await fetchFromPod(EGRESS_SOURCE, app.metadata.name, otlp, APP.container);
      assert.ok(fromApp.reached, `hello-api pod -> Tempo ${tempo.otlp}: ${fromApp.detail}`);
      const fromOther = await fetchFromPod(PROBE_NAMESPACE, PROBE, otlp);
      assert.equal(
        fromOther.reached,
        false,
        `other namespace -> Tempo ${tempo.otlp}: ${fromOther.detail}`,
      );
      console.log(
        `allowed ${EGRESS_SOURCE} hello-api -> Tempo: ${fromApp.detail}; denied ${PROBE_NAMESPACE} -> Tempo: ${fromOther.detail} (${MONITORING.namespace}/allow-tempo)`,
      );
    },
  );
});
