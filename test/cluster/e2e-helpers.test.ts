// The e2e suite's own helpers, checked here because the suite itself only runs on a cluster:
// Prometheus API parsing against a real Prometheus, the metric names derived from rules and
// dashboards, the polling wait, and the load counter against the real service.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { freePort } from '../../scripts/lib/free-port.js';
import { startPrometheus, type LocalProcess } from '../../scripts/monitor/processes.js';
import { parseRuleFile } from '../../scripts/monitor/rules.js';
import { CONFIG_MAPS, shippedConfigMap } from '../../scripts/monitor/shipped-config.js';
import { FETCH_SCRIPT } from '../e2e/lib/fixtures.js';
import { formatSummary, startLoad } from '../e2e/lib/load.js';
import { monitoredMetrics, seriesCountQuery } from '../e2e/lib/metrics.js';
import {
  parseTargets,
  parseVector,
  query,
  summarizeTargets,
  targets,
} from '../e2e/lib/prometheus.js';
import { waitFor } from '../e2e/lib/wait.js';
import { startService, type RunningService } from '../helpers/service.js';
import { repoPath } from '../helpers/paths.js';
import { run } from '../helpers/run.js';
import { requireTool } from '../helpers/tools.js';

describe('Prometheus API helpers against a real Prometheus', () => {
  let prometheus: LocalProcess | undefined;
  let dir: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'e2e-helpers-prom-'));
  });
  after(async () => {
    await prometheus?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test(
    'query, targets and the summary read what Prometheus answers',
    { timeout: 60_000 },
    async (t) => {
      const binary = requireTool(t, 'prometheus', 'the real API answers the parsers read');
      if (!binary) return;
      const port = await freePort();
      const configFile = join(dir, 'prometheus.yml');
      // Two jobs: Prometheus itself (up) and a port nobody listens on (down).
      const dead = await freePort();
      writeFileSync(
        configFile,
        [
          'global: { scrape_interval: 1s, evaluation_interval: 1s }',
          'scrape_configs:',
          `  - { job_name: self, static_configs: [{ targets: ['127.0.0.1:${port}'] }] }`,
          `  - { job_name: nothing, static_configs: [{ targets: ['127.0.0.1:${dead}'] }] }`,
        ].join('\n'),
      );
      prometheus = await startPrometheus({ binary, configFile, port, dataDir: join(dir, 'data') });
      const base = prometheus.url;
      const lines: string[] = [];
      const active = await waitFor(
        'both targets scraped once',
        async () => {
          const found = await targets(base);
          return {
            done: found.length === 2 && found.every((x) => x.health !== 'unknown'),
            value: found,
            seen: summarizeTargets(found),
          };
        },
        { timeoutMs: 30_000, intervalMs: 250, log: (line) => lines.push(line) },
      );
      assert.equal(summarizeTargets(active), 'nothing 0/1 up, self 1/1 up');
      assert.ok(
        active.find((x) => x.job === 'nothing')?.lastError !== '',
        'the down target says why',
      );
      const up = await query(base, 'up');
      assert.deepEqual(up.map((s) => [s.metric.job, s.value]).sort(), [
        ['nothing', 0],
        ['self', 1],
      ]);
      const counted = await query(base, seriesCountQuery('up'));
      assert.equal(counted[0]?.value, 2);
      assert.deepEqual(
        await query(base, seriesCountQuery('no_such_metric')),
        [],
        'no series: empty vector',
      );
      await assert.rejects(query(base, 'sum('), /Prometheus query: status error \(bad_data: /);
    },
  );
});

describe('API answer parsing', () => {
  test('a non-vector result and a failed status are one-line errors', () => {
    assert.throws(
      () => parseVector({ status: 'success', data: { resultType: 'matrix', result: [] } }),
      /expected a vector, got matrix/,
    );
    assert.throws(
      () => parseTargets({ status: 'error', errorType: 'unavailable', error: 'x' }),
      /status error \(unavailable: x\)/,
    );
  });
});

describe('metric names read by rules and dashboards', () => {
  test('names come from both kinds of expression, without functions, labels or keywords', () => {
    const uses = monitoredMetrics(
      [
        'sum by (namespace) (rate(a_total{code=~"5.."}[5m])) / ignoring(le) sum(rate(b_total[5m])) > 0.05',
      ],
      [
        'histogram_quantile(0.9, sum by (le) (rate(c_bucket{x="y"}[1m])))',
        'a_total offset 1h',
        'vector(1)',
      ],
    );
    assert.deepEqual(uses, [
      { name: 'a_total', readBy: ['dashboards', 'rules'] },
      { name: 'b_total', readBy: ['rules'] },
      { name: 'c_bucket', readBy: ['dashboards'] },
    ]);
  });

  test('over the shipped files: every alert reads a metric, and recorded series the alerts read are included', () => {
    const names = new Set(monitoredMetrics().map((use) => use.name));
    const rules = Object.entries(shippedConfigMap(CONFIG_MAPS.rules).data).flatMap(([file, text]) =>
      parseRuleFile(text, file).groups.flatMap((group) => group.rules),
    );
    const recorded = rules.flatMap((rule) => (rule.record === undefined ? [] : [rule.record]));
    const readRecordings = recorded.filter((name) =>
      rules.some((rule) => rule.alert && rule.expr.includes(name)),
    );
    assert.ok(readRecordings.length > 0, 'the SLO alerts read recording rules');
    for (const name of readRecordings)
      assert.ok(names.has(name), `${name} is read by an alert but not checked`);
    for (const rule of rules.filter((r) => r.alert && r.alert !== 'Watchdog'))
      assert.ok(monitoredMetrics([rule.expr], []).length > 0, `${rule.alert} reads no metric?`);
  });
});

describe('waitFor', () => {
  test('polls until the condition holds and says what it waited for and how long', async () => {
    const lines: string[] = [];
    let calls = 0;
    const value = await waitFor(
      'the third call',
      () => {
        calls += 1;
        return Promise.resolve({ done: calls === 3, value: calls * 10, seen: `call ${calls}` });
      },
      { timeoutMs: 5_000, intervalMs: 10, log: (line) => lines.push(line) },
    );
    assert.equal(value, 30);
    assert.equal(lines[0], 'waiting for the third call (up to 5 s)');
    assert.match(lines[1] ?? '', /^the third call: after \d+\.\d s \(call 3\)$/);
  });

  test('fails with one line naming the condition and the last thing seen, errors included', async () => {
    let calls = 0;
    await assert.rejects(
      waitFor(
        'a target to come up',
        () => {
          calls += 1;
          return calls === 1
            ? Promise.resolve({ done: false, seen: '0 of 1 up' })
            : Promise.reject(new Error('connection refused'));
        },
        { timeoutMs: 200, intervalMs: 20, log: () => undefined },
      ),
      /^Error: timed out after 0 s waiting for a target to come up; last seen: connection refused$/,
    );
  });
});

describe('steady load counter', () => {
  let service: RunningService;
  let flaky: Server;
  let hanging: Server;
  const flakyPort = { value: 0 };
  const hangingPort = { value: 0 };

  before(async () => {
    service = await startService();
    let n = 0;
    flaky = createServer((_, response) => {
      n += 1;
      response.writeHead(n % 10 === 0 ? 503 : 200).end('x');
    });
    hanging = createServer(() => undefined);
    flakyPort.value = await freePort();
    hangingPort.value = await freePort();
    await new Promise<void>((resolve) => flaky.listen(flakyPort.value, '127.0.0.1', resolve));
    await new Promise<void>((resolve) => hanging.listen(hangingPort.value, '127.0.0.1', resolve));
  });
  after(async () => {
    await service.stop();
    flaky.closeAllConnections();
    hanging.closeAllConnections();
    await new Promise((resolve) => flaky.close(resolve));
    await new Promise((resolve) => hanging.close(resolve));
  });

  const until = async (load: ReturnType<typeof startLoad>, n: number) =>
    waitFor(
      `${n} answers`,
      () => Promise.resolve({ done: load.answered() >= n, seen: `${load.answered()}` }),
      {
        timeoutMs: 20_000,
        intervalMs: 20,
        log: () => undefined,
      },
    );

  test('counts every answer of the real service and no failure', { timeout: 30_000 }, async () => {
    const load = startLoad({ baseUrl: service.url, paths: ['/', '/version'], concurrency: 4 });
    await until(load, 300);
    const summary = await load.stop();
    assert.ok(summary.requests >= 300);
    assert.equal(summary.failed, 0, summary.firstFailures.join('\n'));
    assert.equal(summary.ok, summary.requests);
    assert.match(
      formatSummary('local', summary),
      new RegExp(
        `^local: ${summary.requests} requests in \\d+\\.\\d s, 0 failed, \\d+ told to reconnect`,
      ),
    );
  });

  test('counts a non-200 answer as a failed request', { timeout: 30_000 }, async () => {
    const load = startLoad({
      baseUrl: `http://127.0.0.1:${flakyPort.value}`,
      paths: ['/'],
      concurrency: 2,
    });
    await until(load, 100);
    const summary = await load.stop();
    assert.ok(summary.failed >= 9, `${summary.failed} failed of ${summary.requests}`);
    assert.equal(summary.ok + summary.failed, summary.requests);
    assert.match(summary.firstFailures[0] ?? '', /status 503/);
  });

  test(
    'a request hanging after the load stopped is reported, not waited for forever',
    { timeout: 30_000 },
    async () => {
      const load = startLoad({
        baseUrl: `http://127.0.0.1:${hangingPort.value}`,
        paths: ['/'],
        concurrency: 1,
      });
      await assert.rejects(load.stop(300), /did not stop within 0\.3 s: requests are hanging/);
    },
  );
});

describe('the in-cluster alert receiver', () => {
  test(
    'records every POST with its path and body and lists them on GET /received',
    { timeout: 30_000 },
    async (t) => {
      const port = await freePort();
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', repoPath('test/e2e/fixtures/alert-receiver.ts')],
        {
          env: { ...process.env, PORT: String(port) },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      t.after(() => {
        child.kill('SIGKILL');
      });
      const base = `http://127.0.0.1:${port}`;
      await waitFor(
        'the receiver to answer /healthz',
        async () => ({ done: (await fetch(`${base}/healthz`)).ok, seen: 'answering' }),
        { timeoutMs: 15_000, intervalMs: 100, log: () => undefined },
      );
      const posted = await fetch(`${base}/team-url`, {
        method: 'POST',
        body: '{"text":"[FIRING] HelloApiHighErrorRate (dev)"}',
      });
      assert.equal(posted.status, 200);
      const received = (await (await fetch(`${base}/received`)).json()) as {
        path: string;
        body: string;
      }[];
      assert.deepEqual(
        received.map((r) => [r.path, r.body]),
        [['/team-url', '{"text":"[FIRING] HelloApiHighErrorRate (dev)"}']],
      );
    },
  );
});

describe('the reachability probe run inside pods', () => {
  let service: RunningService;
  before(async () => {
    service = await startService();
  });
  after(async () => {
    await service.stop();
  });

  test(
    'says "ok <status>" for an answer and "failed <reason>" for a refused connection',
    { timeout: 30_000 },
    async () => {
      const ok = await run(process.execPath, ['-e', FETCH_SCRIPT, `${service.url}/healthz`]);
      assert.equal(ok.stdout.trim(), 'ok 200');
      const closed = await freePort();
      const refused = await run(process.execPath, [
        '-e',
        FETCH_SCRIPT,
        `http://127.0.0.1:${closed}/`,
      ]);
      assert.equal(refused.code, 0, 'the probe itself succeeds; the line says what happened');
      assert.equal(refused.stdout.trim(), 'failed ECONNREFUSED');
    },
  );
});
