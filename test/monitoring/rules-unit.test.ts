// `promtool test rules` for every alert the shipped rules define: one node:test test per alert,
// named after it, running test/monitoring/rule-tests/<Alert>.yml against the rule file of the
// prometheus-rules ConfigMap that defines the alert (with its recording rules, so SLO alerts are
// tested through them). Each alert's file must show it firing with its labels and annotations, and (Watchdog
// aside, which always fires) a case where it must stay quiet.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { availableParallelism } from 'node:os';
import { after, describe, test } from 'node:test';
import { parse, stringify } from 'yaml';
import { CONFIG_MAPS } from '../../scripts/monitor/shipped-config.js';
import { extractConfigMap, shippedAlerts, tempDir } from '../helpers/monitoring-config.js';
import { repoPath } from '../helpers/paths.js';
import { run } from '../helpers/run.js';
import { requireTool } from '../helpers/tools.js';

const TESTS_DIR = repoPath('test/monitoring/rule-tests');
/** Alerts with no quiet case by design. */
const ALWAYS_FIRING = new Set(['Watchdog']);

interface AlertRuleTest {
  eval_time: string;
  alertname: string;
  exp_alerts?: { exp_labels?: Record<string, string>; exp_annotations?: Record<string, string> }[];
}

interface RuleTestFile {
  rule_files?: string[];
  evaluation_interval?: string;
  tests: { name: string; interval?: string; alert_rule_test?: AlertRuleTest[] }[];
}

const work = tempDir('rule-tests');
after(work.cleanup);
const ruleFiles = extractConfigMap(CONFIG_MAPS.rules, join(work.path, 'rules'));
/** Alert name -> the ConfigMap key of the rule file that defines it. */
const alertFiles = new Map(shippedAlerts().map((rule) => [rule.alert, rule.file]));
const alertNames = [...alertFiles.keys()].sort();

test('every rule-test file belongs to an alert that still exists', () => {
  const orphans = readdirSync(TESTS_DIR)
    .filter((file) => file.endsWith('.yml'))
    .map((file) => file.replace(/\.yml$/, ''))
    .filter((name) => !alertNames.includes(name));
  assert.deepEqual(orphans, []);
});

// promtool runs are independent: run as many as there are cores.
describe('alert rules', { concurrency: availableParallelism() }, () => {
  for (const alert of alertNames) {
    test(`alert ${alert}: promtool test rules (fires with labels and annotations, stays quiet when it must)`, async (t) => {
      const file = join(TESTS_DIR, `${alert}.yml`);
      assert.ok(existsSync(file), `${file} is missing: every alert needs its unit test`);
      const spec = parse(readFileSync(file, 'utf8')) as RuleTestFile;
      assert.equal(
        spec.rule_files,
        undefined,
        `${file}: rule_files is set by this test, leave it out`,
      );

      const cases = spec.tests.flatMap((group) => {
        // Prometheus 2.42's promtool needs the interval in every test group.
        assert.ok(group.interval, `${file}: test "${group.name}" has no interval`);
        return group.alert_rule_test ?? [];
      });
      for (const rule of cases)
        assert.equal(rule.alertname, alert, `${file} tests ${rule.alertname}`);
      const firing = cases.filter((rule) => (rule.exp_alerts ?? []).length > 0);
      assert.ok(firing.length > 0, `${file}: no case where ${alert} fires`);
      for (const rule of firing)
        for (const expected of rule.exp_alerts ?? [])
          assert.ok(
            expected.exp_labels?.severity && expected.exp_annotations?.runbook_url,
            `${file} at ${rule.eval_time}: expected alerts must state severity and annotations`,
          );
      if (!ALWAYS_FIRING.has(alert))
        assert.ok(
          cases.some((rule) => (rule.exp_alerts ?? []).length === 0),
          `${file}: no case where ${alert} must stay quiet`,
        );

      const promtool = requireTool(t, 'promtool', 'Debian package prometheus');
      if (!promtool) return;
      const runnable = join(work.path, `${alert}.yml`);
      const ruleFile = ruleFiles[alertFiles.get(alert) ?? ''];
      assert.ok(ruleFile, `no rule file defines ${alert}`);
      writeFileSync(runnable, stringify({ ...spec, rule_files: [ruleFile] }));
      const result = await run(promtool, ['test', 'rules', runnable]);
      assert.equal(
        result.code,
        0,
        `promtool test rules ${alert}:\n${result.stdout}${result.stderr}`,
      );
    });
  }
});
