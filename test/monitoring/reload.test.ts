// Configuration changes reach a running Prometheus by a reload, never a restart, and a broken
// change is refused: a real Prometheus with the shipped configuration and rules (adapted to
// loopback by local-config.ts) gets SIGHUP after each edit of a rule file, the signal the
// shipped config-reloader sidecar sends (--reload-method=signal), and is then read the way the
// reloader reads it (/api/v1/status/runtimeinfo). A new rule appears; a broken rule file leaves
// the old rules running and prometheus_config_last_reload_successful at 0, with the process
// still up; fixing the file brings it back to 1.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import { freePort } from '../../scripts/lib/free-port.js';
import { writeLocalStack } from '../../scripts/monitor/local-config.js';
import { findExecutable } from '../../scripts/lib/find-executable.js';
import { startPrometheus, waitUntil, type LocalProcess } from '../../scripts/monitor/processes.js';
import { tempDir } from '../helpers/monitoring-config.js';
import { parsePrometheusText } from '../helpers/prometheus-text.js';
import { requireTool } from '../helpers/tools.js';

const PROBE = 'ReloadProbe';
const work = tempDir('reload');
let prometheus: LocalProcess | undefined;
let ruleFile = '';
let original = '';

interface RuntimeInfo {
  data: { reloadConfigSuccess: boolean; lastConfigTime: string };
}

async function json<T>(path: string): Promise<T> {
  assert.ok(prometheus);
  const response = await fetch(`${prometheus.url}${path}`);
  assert.equal(response.status, 200, path);
  return (await response.json()) as T;
}

async function ruleNames(): Promise<string[]> {
  const rules = await json<{ data: { groups: { rules: { name: string }[] }[] } }>('/api/v1/rules');
  return rules.data.groups.flatMap((group) => group.rules.map((rule) => rule.name));
}

async function lastReloadSuccessful(): Promise<number | undefined> {
  assert.ok(prometheus);
  const text = await (await fetch(`${prometheus.url}/metrics`)).text();
  return parsePrometheusText(text).find(
    (s) => s.name === 'prometheus_config_last_reload_successful',
  )?.value;
}

/**
 * Sends SIGHUP, as the config-reloader does, and waits for the outcome `check` describes: the
 * reload's own result is only visible through its effects (lastConfigTime has 1 s resolution).
 */
async function reloadUntil(
  what: string,
  check: () => Promise<boolean>,
): Promise<RuntimeInfo['data']> {
  assert.ok(prometheus);
  prometheus.child.kill('SIGHUP');
  await waitUntil(what, check, 15_000);
  return (await json<RuntimeInfo>('/api/v1/status/runtimeinfo')).data;
}

function running(t: TestContext): boolean {
  if (!requireTool(t, 'prometheus', 'Debian package prometheus')) return false;
  assert.ok(prometheus, 'Prometheus did not start (see the before hook error)');
  return true;
}

describe('live: Prometheus reloads rule changes in place and refuses broken ones', () => {
  before(async () => {
    const binary = findExecutable('prometheus');
    if (!binary) return;
    const port = await freePort();
    const files = writeLocalStack({
      dir: work.path,
      servicePort: await freePort(),
      prometheusPort: port,
      alertmanagerPorts: [await freePort()],
      environment: 'prod',
      interval: '1s',
      receiverUrls: {},
    });
    ruleFile = files.ruleFiles.find((file) => file.endsWith('monitoring.rules.yml')) ?? '';
    assert.ok(ruleFile, 'the shipped rules have no monitoring.rules.yml');
    original = readFileSync(ruleFile, 'utf8');
    prometheus = await startPrometheus({
      binary,
      configFile: files.prometheusConfig,
      port,
      dataDir: join(work.path, 'prometheus-data'),
    });
  });

  after(async () => {
    await prometheus?.stop();
    work.cleanup();
  });

  test('a new rule appears after the reload, without a restart', async (t) => {
    if (!running(t)) return;
    assert.ok(prometheus);
    const pid = prometheus.child.pid;
    const names = await ruleNames();
    assert.ok(names.includes('Watchdog') && !names.includes(PROBE), names.join());
    writeFileSync(
      ruleFile,
      original.replace(
        '    rules:\n',
        `    rules:\n      - alert: ${PROBE}\n        expr: vector(1)\n        labels:\n          severity: none\n`,
      ),
    );
    const info = await reloadUntil('the new rule to be loaded', async () =>
      (await ruleNames()).includes(PROBE),
    );
    assert.equal(info.reloadConfigSuccess, true);
    assert.equal(await lastReloadSuccessful(), 1);
    assert.equal(prometheus.child.pid, pid);
    assert.equal(prometheus.child.exitCode, null, 'Prometheus must keep running');
  });

  test('a broken rule file is refused: old rules stay, last_reload_successful = 0, process up; a fix restores 1', async (t) => {
    if (!running(t)) return;
    assert.ok(prometheus);
    const loaded = await ruleNames();
    assert.ok(loaded.includes(PROBE), 'the previous test must have loaded the probe rule');
    writeFileSync(
      ruleFile,
      `${readFileSync(ruleFile, 'utf8')}\n      - alert: Broken\n        expr: sum(rate(\n`,
    );
    const info = await reloadUntil(
      'prometheus_config_last_reload_successful to drop to 0',
      async () => (await lastReloadSuccessful()) === 0,
    );
    assert.equal(info.reloadConfigSuccess, false);
    assert.deepEqual(
      await ruleNames(),
      loaded,
      'the rules loaded before the broken edit must keep running',
    );
    assert.equal(prometheus.child.exitCode, null, 'a broken file must never stop Prometheus');
    assert.equal((await fetch(`${prometheus.url}/-/ready`)).status, 200);

    writeFileSync(ruleFile, original);
    const fixed = await reloadUntil(
      'the fixed file to load',
      async () => (await lastReloadSuccessful()) === 1 && !(await ruleNames()).includes(PROBE),
    );
    assert.equal(fixed.reloadConfigSuccess, true);
  });
});
