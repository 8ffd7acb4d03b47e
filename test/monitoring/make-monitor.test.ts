// `make monitor` (scripts/monitor/main.ts): starts the service, Prometheus and Alertmanager with
// the shipped rules and a trace receiver, prints where they are and one line per traced request,
// and on Ctrl-C (SIGINT) stops all of them and exits 0.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { findFirstExecutable } from '../../scripts/lib/find-executable.js';
import { ALERTMANAGER_NAMES, waitUntil } from '../../scripts/monitor/processes.js';
import { freePort } from '../../scripts/lib/free-port.js';
import { tempDir } from '../helpers/monitoring-config.js';
import { repoPath } from '../helpers/paths.js';
import { requireTool } from '../helpers/tools.js';

test('make monitor starts the local stack with the shipped rules and Ctrl-C stops it cleanly', async (t) => {
  if (!requireTool(t, 'prometheus', 'Debian package prometheus')) return;
  if (!findFirstExecutable(ALERTMANAGER_NAMES) && !requireTool(t, 'prometheus-alertmanager'))
    return;
  const ports = {
    MONITOR_SERVICE_PORT: await freePort(),
    MONITOR_PROMETHEUS_PORT: await freePort(),
    MONITOR_ALERTMANAGER_PORT: await freePort(),
    MONITOR_WEBHOOK_PORT: await freePort(),
    MONITOR_TRACES_PORT: await freePort(),
  };
  // Its own folder: a developer's `make monitor` data in .tmp/monitor is left alone.
  const work = tempDir('make-monitor');
  t.after(work.cleanup);
  const child = spawn(process.execPath, ['--import', 'tsx', repoPath('scripts/monitor/main.ts')], {
    cwd: repoPath('.'),
    env: {
      ...process.env,
      MONITOR_DIR: work.path,
      ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
  const prometheus = `http://127.0.0.1:${ports.MONITOR_PROMETHEUS_PORT}`;
  try {
    await waitUntil(
      'the "monitoring stack ready" line',
      () => Promise.resolve(output.includes('monitoring stack ready') || child.exitCode !== null),
      30_000,
    );
    assert.match(output, /monitoring stack ready/, output);
    assert.ok(output.includes(`${prometheus}/alerts`), output);
    // The shipped rules are loaded: Watchdog is there.
    const rules = (await (await fetch(`${prometheus}/api/v1/rules`)).json()) as {
      data: { groups: { rules: { name: string }[] }[] };
    };
    const names = rules.data.groups.flatMap((group) => group.rules.map((rule) => rule.name));
    assert.ok(names.includes('Watchdog') && names.includes('HelloApiHighErrorRate'), names.join());
    const service = await fetch(`http://127.0.0.1:${ports.MONITOR_SERVICE_PORT}/healthz`);
    assert.equal(service.status, 200);
    // Tracing is on: a request's server span arrives at the receiver, which prints its trace
    // id, the same one the access log carries.
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const traced = await fetch(`http://127.0.0.1:${ports.MONITOR_SERVICE_PORT}/version`, {
      headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
    });
    assert.equal(traced.status, 200);
    await waitUntil(
      'the trace line of GET /version',
      () => Promise.resolve(output.includes(`trace ${traceId} GET /version -> 200 in `)),
      10_000,
    );
  } finally {
    child.kill('SIGINT');
  }
  assert.equal(await exited, 0, output);
  assert.match(output, /monitoring stack stopped/);
  await assert.rejects(fetch(`${prometheus}/-/ready`), 'Prometheus must be gone after Ctrl-C');
});
