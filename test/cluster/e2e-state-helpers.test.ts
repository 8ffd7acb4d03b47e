// The e2e suite's persistence and reload checks, rehearsed here against a real Prometheus and a
// real Alertmanager (Debian's 2.53 and 0.28 in .ci/run, the shipped releases in the GitHub quality
// job): a query about a past moment answers the same after a restart on the same data directory,
// a silence survives a restart of an Alertmanager alone (no gossip peer to hand it back), a rules
// file appears in /api/v1/rules after a SIGHUP, a receiver in the loaded configuration after
// /-/reload, and the last-successful-reload metrics the suite reads exist and move.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test, type TestContext } from 'node:test';
import { freePort } from '../../scripts/lib/free-port.js';
import { findFirstExecutable } from '../../scripts/lib/find-executable.js';
import {
  ALERTMANAGER_NAMES,
  startAlertmanager,
  startPrometheus,
  type LocalProcess,
} from '../../scripts/monitor/processes.js';
import { createSilence, expireSilence, getSilence, loadedConfig } from '../e2e/lib/alertmanager.js';
import { RELOAD } from '../e2e/lib/facts.js';
import { query, ruleGroups } from '../e2e/lib/prometheus.js';
import { waitFor } from '../e2e/lib/wait.js';
import { requireTool } from '../helpers/tools.js';

const dir = mkdtempSync(join(tmpdir(), 'e2e-state-helpers-'));
const running: LocalProcess[] = [];
after(async () => {
  for (const proc of running) await proc.stop();
  rmSync(dir, { recursive: true, force: true });
});
const quiet = { log: () => undefined };

/** The value of an unlabelled metric in a process's own /metrics text. */
async function ownMetric(base: string, name: string): Promise<number | undefined> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const line = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return line?.[1] === undefined ? undefined : Number(line[1]);
}

/** The reload timestamps count whole seconds: a later reload must fall in a later second. */
async function pastTheSecondOf(timestamp: number): Promise<void> {
  await waitFor(
    `the clock past ${timestamp}`,
    () =>
      Promise.resolve({ done: Date.now() / 1000 >= Math.floor(timestamp) + 1, seen: 'not yet' }),
    { timeoutMs: 5_000, intervalMs: 50, ...quiet },
  );
}

function alertmanagerBinary(t: TestContext): string | undefined {
  return findFirstExecutable(ALERTMANAGER_NAMES) ?? requireTool(t, 'prometheus-alertmanager');
}

describe('Prometheus, as the persistence and reload checks read it', () => {
  test(
    'a query about a past moment answers the same after a restart on the same data directory',
    { timeout: 90_000 },
    async (t) => {
      const binary = requireTool(t, 'prometheus', 'the real TSDB and API');
      if (!binary) return;
      const port = await freePort();
      const configFile = join(dir, 'restart.yml');
      writeFileSync(
        configFile,
        `global: { scrape_interval: 1s }\nscrape_configs:\n  - { job_name: self, static_configs: [{ targets: ['127.0.0.1:${port}'] }] }\n`,
      );
      const options = { binary, configFile, port, dataDir: join(dir, 'restart-data') };
      const first = await startPrometheus(options);
      running.push(first);
      const expr = 'count_over_time(up{job="self"}[1m])';
      // A moment a second ago with a few scrapes before it: samples only the TSDB holds.
      const { at, before } = await waitFor(
        'a past moment with five scrapes before it',
        async () => {
          const moment = Math.floor(Date.now() / 1000) - 1;
          const n = (await query(first.url, expr, moment))[0]?.value ?? 0;
          return { done: n >= 5, value: { at: moment, before: n }, seen: `${n}` };
        },
        { timeoutMs: 30_000, intervalMs: 500, ...quiet },
      );
      await first.stop();
      const second = await startPrometheus(options);
      running.push(second);
      // Scrapes after the restart change the answer for now, not for the moment before it.
      await waitFor(
        'more scrapes after the restart',
        async () => {
          const n = (await query(second.url, expr))[0]?.value ?? 0;
          return { done: n > before + 2, seen: `${n}` };
        },
        { timeoutMs: 30_000, intervalMs: 500, ...quiet },
      );
      assert.equal((await query(second.url, expr, at))[0]?.value, before);
      await second.stop();
    },
  );

  test(
    'a rules file added to the watched folder is listed after SIGHUP, and the reload metric moves',
    { timeout: 60_000 },
    async (t) => {
      const binary = requireTool(t, 'prometheus', 'the real rules API');
      if (!binary) return;
      const rules = join(dir, 'rules');
      rmSync(rules, { recursive: true, force: true });
      mkdirSync(rules);
      const port = await freePort();
      const configFile = join(dir, 'reload.yml');
      writeFileSync(configFile, `rule_files: ['${rules}/*.rules.yml']\n`);
      const prometheus = await startPrometheus({
        binary,
        configFile,
        port,
        dataDir: join(dir, 'reload-data'),
      });
      running.push(prometheus);
      assert.deepEqual(await ruleGroups(prometheus.url), []);
      const before = await ownMetric(prometheus.url, RELOAD.prometheusMetric);
      assert.ok(before !== undefined, `Prometheus exports no ${RELOAD.prometheusMetric}`);
      writeFileSync(
        join(rules, RELOAD.ruleKey),
        `groups:\n  - name: ${RELOAD.group}\n    rules:\n      - record: ${RELOAD.record}\n        expr: vector(1)\n`,
      );
      await pastTheSecondOf(before);
      prometheus.child.kill('SIGHUP');
      const groups = await waitFor(
        'the rules file listed',
        async () => {
          const found = await ruleGroups(prometheus.url);
          return { done: found.length > 0, value: found, seen: `${found.length} groups` };
        },
        { timeoutMs: 15_000, intervalMs: 200, ...quiet },
      );
      assert.deepEqual(
        groups.map((g) => [g.name, g.file, g.rules.map((r) => [r.name, r.type])]),
        [[RELOAD.group, join(rules, RELOAD.ruleKey), [[RELOAD.record, 'recording']]]],
      );
      assert.ok(((await ownMetric(prometheus.url, RELOAD.prometheusMetric)) ?? 0) > before);
      await prometheus.stop();
    },
  );
});

describe('Alertmanager, as the persistence and reload checks read it', () => {
  test(
    'a silence survives a restart of a lone Alertmanager on the same data directory, then expires',
    { timeout: 60_000 },
    async (t) => {
      const binary = alertmanagerBinary(t);
      if (!binary) return;
      const port = await freePort();
      const configFile = join(dir, 'alertmanager.yml');
      writeFileSync(configFile, 'route: { receiver: none }\nreceivers: [{ name: none }]\n');
      const options = { binary, configFile, port, dataDir: join(dir, 'am-data') };
      const first = await startAlertmanager(options);
      running.push(first);
      const id = await createSilence(first.url, { alertname: 'E2ePersistenceCheck' }, 'check', 60);
      assert.equal((await getSilence(first.url, id))?.state, 'active');
      assert.equal(await getSilence(first.url, '00000000-0000-0000-0000-000000000000'), undefined);
      // SIGTERM: Alertmanager writes its silences snapshot on the way out (silence/silence.go,
      // Maintenance's final run when its stop channel closes) and reads it back at start.
      await first.stop();
      const second = await startAlertmanager(options);
      running.push(second);
      const kept = await getSilence(second.url, id);
      assert.deepEqual(
        { state: kept?.state, matchers: kept?.matchers, comment: kept?.comment },
        {
          state: 'active',
          matchers: [{ name: 'alertname', value: 'E2ePersistenceCheck' }],
          comment: 'check',
        },
      );
      await expireSilence(second.url, id);
      assert.equal((await getSilence(second.url, id))?.state, 'expired');
      await second.stop();
    },
  );

  test(
    'a receiver added to the file is in the loaded configuration after /-/reload, and the reload metric moves',
    { timeout: 60_000 },
    async (t) => {
      const binary = alertmanagerBinary(t);
      if (!binary) return;
      const port = await freePort();
      const configFile = join(dir, 'alertmanager-reload.yml');
      const config = 'route: { receiver: none }\nreceivers:\n  - name: none\n';
      writeFileSync(configFile, config);
      const alertmanager = await startAlertmanager({
        binary,
        configFile,
        port,
        dataDir: join(dir, 'am-reload-data'),
      });
      running.push(alertmanager);
      assert.ok(!(await loadedConfig(alertmanager.url)).includes(RELOAD.receiver));
      const before = await ownMetric(alertmanager.url, RELOAD.alertmanagerMetric);
      assert.ok(before !== undefined, `Alertmanager exports no ${RELOAD.alertmanagerMetric}`);
      writeFileSync(configFile, `${config}  - name: ${RELOAD.receiver}\n`);
      await pastTheSecondOf(before);
      const reload = await fetch(`${alertmanager.url}/-/reload`, { method: 'POST' });
      assert.equal(reload.status, 200, await reload.text());
      assert.ok((await loadedConfig(alertmanager.url)).includes(`name: ${RELOAD.receiver}`));
      assert.ok(((await ownMetric(alertmanager.url, RELOAD.alertmanagerMetric)) ?? 0) > before);
      await alertmanager.stop();
    },
  );
});
