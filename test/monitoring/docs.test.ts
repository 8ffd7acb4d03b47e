// The monitoring docs say what ships: the README's monitoring section (alert count, NodePort,
// scrape interval, retention, make targets) and docs/monitoring.md's alert table and runbook
// links stay true when rules or manifests change.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parse } from 'yaml';
import {
  CONFIG_MAPS,
  PROMETHEUS_CONFIG_KEY,
  shippedConfigMap,
} from '../../scripts/monitor/shipped-config.js';
import { markdownAnchors, shippedAlerts } from '../helpers/monitoring-config.js';
import { repoPath } from '../helpers/paths.js';

const readme = readFileSync(repoPath('README.md'), 'utf8');
/** The README's monitoring section with line breaks folded, so phrases can wrap anywhere. */
const section = (
  /<!-- section:monitoring -->([\s\S]*?)<!-- \/section:monitoring -->/.exec(readme)?.[1] ?? ''
).replace(/\s+/g, ' ');
const guide = readFileSync(repoPath('docs/monitoring.md'), 'utf8');
const alerts = [...new Set(shippedAlerts().map((rule) => rule.alert))];

test('README monitoring section: alert count, NodePort, scrape interval, retention are current', () => {
  assert.ok(
    section.includes(`${alerts.length} alerts`),
    `README must say "${alerts.length} alerts"`,
  );
  const service = readFileSync(repoPath('k8s/monitoring/prometheus/service.yaml'), 'utf8');
  const nodePort = /nodePort: (\d+)/.exec(service)?.[1] ?? '';
  assert.ok(section.includes(`NodePort ${nodePort}`), `README must name NodePort ${nodePort}`);
  const config = parse(
    shippedConfigMap(CONFIG_MAPS.prometheus).data[PROMETHEUS_CONFIG_KEY] ?? '',
  ) as {
    global: { scrape_interval: string };
  };
  assert.ok(section.includes(`${config.global.scrape_interval.replace('s', ' s')} scrapes`));
  const statefulSet = readFileSync(repoPath('k8s/monitoring/prometheus/statefulset.yaml'), 'utf8');
  const days = /retention\.time=(\d+)d/.exec(statefulSet)?.[1] ?? '';
  const size = /retention\.size=(\d+GB)/.exec(statefulSet)?.[1] ?? '';
  assert.ok(section.includes(`${days} days or ${size.replace('GB', ' GB')}`));
  const minor = /prometheus:v(\d+\.\d+)\./.exec(statefulSet)?.[1] ?? '';
  assert.ok(
    section.includes(`Prometheus ${minor} LTS`),
    `README must name Prometheus ${minor} LTS`,
  );
});

test('README monitoring section names make targets that exist', () => {
  const makefile = readFileSync(repoPath('mk/monitoring.mk'), 'utf8');
  const targets = [...section.matchAll(/\bmake ([a-z-]+) #/g)].map(([, target]) => target ?? '');
  assert.ok(targets.includes('monitor'), 'README must show make monitor');
  for (const target of targets)
    assert.match(makefile, new RegExp(`^${target}:.*## `, 'm'), `make ${target}`);
});

test("every alert's runbook section says what it means, what to check first, how to fix and how to silence it", () => {
  const runbook = readFileSync(repoPath('docs/runbook.md'), 'utf8');
  const sections = new Map(
    runbook.split(/\n(?=## )/).map((part) => [/^## (\S+)/.exec(part)?.[1] ?? '', part]),
  );
  const problems: string[] = [];
  for (const alert of alerts)
    for (const part of ['Meaning', 'Check', 'Fix', 'Silence'])
      if (!(sections.get(alert) ?? '').includes(`**${part}.**`))
        problems.push(`docs/runbook.md ## ${alert}: no **${part}.** paragraph`);
  assert.deepEqual(problems, []);
});

test('docs/monitoring.md has one alert-table row per alert, and the runbook a section for each', () => {
  const anchors = markdownAnchors('docs/runbook.md');
  // Rows of the alert table: "| AlertName | severity | fires when |".
  const rows = [...guide.matchAll(/^\| ([A-Z][A-Za-z0-9]+) \| (?:critical|warning|none)/gm)].map(
    ([, name]) => name ?? '',
  );
  assert.deepEqual([...rows].sort(), [...alerts].sort(), 'docs/monitoring.md alert table');
  const missing = alerts.filter((alert) => !anchors.has(alert.toLowerCase()));
  assert.deepEqual(missing, [], 'alerts without a docs/runbook.md section');
});
