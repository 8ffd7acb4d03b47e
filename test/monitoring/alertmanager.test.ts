// The Alertmanager configuration exactly as the alertmanager-config ConfigMap ships it: amtool
// accepts it, it reads exactly the receiver Secret keys of scripts/monitor/receivers.ts,
// `amtool config routes test` sends each kind of alert to the right receiver (Watchdog to the
// heartbeat), and a real Alertmanager inhibits a warning while the critical of the same alert and
// namespace fires, and the Watchdog while notifications are failing.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse } from 'yaml';
import { localAlertmanagerConfig } from '../../scripts/monitor/local-config.js';
import { findFirstExecutable } from '../../scripts/lib/find-executable.js';
import {
  ALERTMANAGER_NAMES,
  startAlertmanager,
  waitUntil,
  type LocalProcess,
} from '../../scripts/monitor/processes.js';
import { RECEIVER_SECRET_KEYS } from '../../scripts/monitor/receivers.js';
import {
  ALERTMANAGER_CONFIG_KEY,
  CONFIG_MAPS,
  receiverSecretKeys,
  shippedConfigMap,
} from '../../scripts/monitor/shipped-config.js';
import { freePort } from '../../scripts/lib/free-port.js';
import { tempDir } from '../helpers/monitoring-config.js';
import { run } from '../helpers/run.js';
import { IN_CI, requireTool } from '../helpers/tools.js';

const work = tempDir('alertmanager');
after(work.cleanup);
const shippedText = shippedConfigMap(CONFIG_MAPS.alertmanager).data[ALERTMANAGER_CONFIG_KEY] ?? '';

/** The shipped config with the Secret's files replaced by placeholder URLs in a temp folder. */
function configWithPlaceholderSecrets(): string {
  const secrets = join(work.path, 'secrets');
  mkdirSync(secrets, { recursive: true });
  for (const key of receiverSecretKeys().values())
    writeFileSync(join(secrets, key), 'https://hooks.slack.invalid/placeholder');
  const path = join(work.path, 'alertmanager.yml');
  writeFileSync(path, localAlertmanagerConfig(secrets, false));
  return path;
}

test('receiver targets come from the Secret mount, exactly the keys receivers.ts lists, never from git', () => {
  const config = parse(shippedText) as { receivers: Record<string, unknown>[] };
  // Any literal URL setting would put a webhook (a credential) into git.
  assert.doesNotMatch(shippedText, /\b(api_url|url|webhook_url|auth_password):/);
  assert.deepEqual(
    Object.fromEntries(receiverSecretKeys()),
    RECEIVER_SECRET_KEYS,
    'alertmanager.yml and scripts/monitor/receivers.ts disagree',
  );
  // Every receiver notifies somewhere: the Watchdog's goes to the heartbeat, none is a blackhole.
  for (const receiver of config.receivers)
    assert.ok(
      Object.keys(receiver).some((key) => key.endsWith('_configs')),
      `${String(receiver.name)} has no integration`,
    );
});

test('amtool check-config accepts the shipped config (placeholder receiver URLs)', async (t) => {
  const amtool = requireTool(t, 'amtool', 'Debian package prometheus-alertmanager');
  if (!amtool) return;
  const result = await run(amtool, ['check-config', configWithPlaceholderSecrets()]);
  assert.equal(result.code, 0, `amtool check-config:\n${result.stdout}${result.stderr}`);
  assert.match(result.stdout, /2 inhibit rules/);
});

const ROUTES: { labels: Record<string, string>; receiver: string; why: string }[] = [
  {
    labels: {
      alertname: 'HelloApiAvailabilityErrorBudgetBurn',
      severity: 'critical',
      namespace: 'prod',
    },
    receiver: 'pager',
    why: 'a critical prod alert pages',
  },
  {
    labels: {
      alertname: 'PrometheusNotConnectedToAlertmanagers',
      severity: 'critical',
      namespace: 'monitoring',
    },
    receiver: 'pager',
    why: 'a broken pipeline pages',
  },
  {
    labels: { alertname: 'NodeFilesystemSpaceFillingUp', severity: 'critical', node: 'node-1' },
    receiver: 'pager',
    why: 'a cluster-wide critical (no namespace) pages',
  },
  {
    labels: { alertname: 'HelloApiHighErrorRate', severity: 'warning', namespace: 'prod' },
    receiver: 'team',
    why: 'a prod warning goes to the team channel',
  },
  {
    labels: { alertname: 'HelloApiNoReadyPods', severity: 'critical', namespace: 'stage' },
    receiver: 'team',
    why: 'critical in stage does not page',
  },
  {
    labels: { alertname: 'HelloApiNoReadyPods', severity: 'critical', namespace: 'dev' },
    receiver: 'team',
    why: 'critical in dev does not page',
  },
  {
    labels: { alertname: 'KubeNodeNotReady', severity: 'warning', node: 'node-1' },
    receiver: 'team',
    why: 'a cluster warning goes to the team channel',
  },
  {
    labels: { alertname: 'Watchdog', severity: 'none' },
    receiver: 'heartbeat',
    why: "Watchdog pings the dead man's switch, nothing else",
  },
];

for (const route of ROUTES) {
  const labels = Object.entries(route.labels).map(([key, value]) => `${key}=${value}`);
  test(`amtool config routes test: ${route.why} (${labels.join(' ')} -> ${route.receiver})`, async (t) => {
    const amtool = requireTool(t, 'amtool', 'Debian package prometheus-alertmanager');
    if (!amtool) return;
    const result = await run(amtool, [
      'config',
      'routes',
      'test',
      `--config.file=${configWithPlaceholderSecrets()}`,
      `--verify.receivers=${route.receiver}`,
      ...labels,
    ]);
    assert.equal(result.code, 0, `${result.stdout}${result.stderr}`);
    assert.equal(result.stdout.trim(), route.receiver);
  });
}

describe('a running Alertmanager with the shipped config', () => {
  let alertmanager: LocalProcess | undefined;

  before(async () => {
    const binary = findFirstExecutable(ALERTMANAGER_NAMES);
    if (!binary) return;
    const dir = join(work.path, 'live');
    mkdirSync(join(dir, 'secrets'), { recursive: true });
    const configFile = join(dir, 'alertmanager.yml');
    // Receivers point at a closed port: this test is about inhibition, not delivery.
    for (const key of receiverSecretKeys().values())
      writeFileSync(join(dir, 'secrets', key), 'http://127.0.0.1:9/unused');
    writeFileSync(configFile, localAlertmanagerConfig(join(dir, 'secrets'), true));
    alertmanager = await startAlertmanager({
      binary,
      configFile,
      port: await freePort(),
      dataDir: join(dir, 'data'),
    });
  });
  after(async () => {
    await alertmanager?.stop();
  });

  test('a critical alert inhibits the warning of the same alert and namespace, not of another namespace', async (t) => {
    if (!alertmanager) {
      if (IN_CI) assert.fail('alertmanager not found on PATH: .ci/run must install it');
      t.skip('alertmanager not found on PATH (Debian package prometheus-alertmanager)');
      return;
    }
    const alert = (severity: string, namespace: string) => ({
      labels: { alertname: 'HelloApiAvailabilityErrorBudgetBurn', severity, namespace },
      annotations: { summary: `${severity} in ${namespace}` },
      startsAt: new Date().toISOString(),
    });
    const posted = await fetch(`${alertmanager.url}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([
        alert('critical', 'prod'),
        alert('warning', 'prod'),
        alert('warning', 'stage'),
      ]),
    });
    assert.equal(posted.status, 200, await posted.text());

    interface Listed {
      labels: Record<string, string>;
      status: { state: string; inhibitedBy: string[] };
    }
    const state = (listed: Listed[], severity: string, namespace: string) =>
      listed.find((a) => a.labels.severity === severity && a.labels.namespace === namespace)
        ?.status;
    let listed: Listed[] = [];
    await waitUntil(
      'the prod warning to be inhibited',
      async () => {
        listed = (await (
          await fetch(`${alertmanager?.url ?? ''}/api/v2/alerts`)
        ).json()) as Listed[];
        return state(listed, 'warning', 'prod')?.state === 'suppressed';
      },
      15_000,
    );
    assert.ok((state(listed, 'warning', 'prod')?.inhibitedBy.length ?? 0) > 0);
    assert.equal(state(listed, 'critical', 'prod')?.state, 'active');
    assert.equal(state(listed, 'warning', 'stage')?.state, 'active');
  });

  test("failing notifications silence the Watchdog, so the heartbeat stops and the dead man's switch pages", async (t) => {
    if (!alertmanager) {
      if (IN_CI) assert.fail('alertmanager not found on PATH: .ci/run must install it');
      t.skip('alertmanager not found on PATH (Debian package prometheus-alertmanager)');
      return;
    }
    const url = alertmanager.url;
    const post = async (alertname: string, labels: Record<string, string> = {}) => {
      const response = await fetch(`${url}/api/v2/alerts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify([
          { labels: { alertname, ...labels }, startsAt: new Date().toISOString() },
        ]),
      });
      assert.equal(response.status, 200, await response.text());
    };
    const watchdogState = async () => {
      const listed = (await (
        await fetch(`${url}/api/v2/alerts?filter=alertname%3D%22Watchdog%22`)
      ).json()) as {
        status: { state: string };
      }[];
      return listed[0]?.status.state;
    };
    await post('Watchdog', { severity: 'none' });
    await waitUntil(
      'the Watchdog to be listed',
      async () => (await watchdogState()) !== undefined,
      15_000,
    );
    assert.equal(await watchdogState(), 'active', 'nothing failing: the Watchdog flows');
    await post('AlertmanagerClusterFailedToSendAlerts', {
      severity: 'critical',
      namespace: 'monitoring',
      integration: 'slack',
    });
    await waitUntil(
      'the Watchdog to be inhibited',
      async () => (await watchdogState()) === 'suppressed',
      15_000,
    );
  });
});
