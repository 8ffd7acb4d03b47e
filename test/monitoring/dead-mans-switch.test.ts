// The dead man's switch and the alerts that replace the ones that could never fire, with real
// processes on loopback: Prometheus with the shipped rules (every `for:` 0s and a 1 s alert
// resend delay in the test's own copy, stack.ts `fast`) sends to two Alertmanagers with the shipped routes, whose
// receivers post to a webhook this test listens on. The Watchdog pings /heartbeat; killing one
// Alertmanager makes PrometheusErrorSendingAlertsToSomeAlertmanagers reach the team channel
// through the other; killing the second stops the heartbeat (what the external service pages
// on) while Prometheus itself shows PrometheusErrorSendingAlertsToAnyAlertmanager firing.
import assert from 'node:assert/strict';
import { after, before, describe, test, type TestContext } from 'node:test';
import { RECEIVER_SECRET_KEYS } from '../../scripts/monitor/receivers.js';
import { findExecutable, findFirstExecutable } from '../../scripts/lib/find-executable.js';
import {
  ALERTMANAGER_NAMES,
  waitUntil,
  type LocalProcess,
} from '../../scripts/monitor/processes.js';
import { startMonitoringStack, type MonitoringStack } from '../../scripts/monitor/stack.js';
import { notificationTitle, type Notification } from '../../scripts/monitor/webhook-sink.js';
import { tempDir } from '../helpers/monitoring-config.js';
import { requireTool } from '../helpers/tools.js';

const work = tempDir('dead-mans-switch');
let stack: MonitoringStack | undefined;

const heartbeats = (): Notification[] =>
  (stack?.sink.received ?? []).filter((n) => n.path === '/heartbeat');

async function firing(alertname: string): Promise<boolean> {
  assert.ok(stack);
  const response = await fetch(`${stack.prometheus.url}/api/v1/alerts`);
  const alerts = (await response.json()) as {
    data: { alerts: { labels: Record<string, string>; state: string }[] };
  };
  return alerts.data.alerts.some((a) => a.labels.alertname === alertname && a.state === 'firing');
}

async function kill(alertmanager: LocalProcess): Promise<number> {
  const exited = new Promise((resolve) => alertmanager.child.once('close', resolve));
  alertmanager.child.kill('SIGKILL');
  await exited;
  return Date.now();
}

function running(t: TestContext): boolean {
  if (!requireTool(t, 'prometheus', 'Debian package prometheus')) return false;
  if (!findFirstExecutable(ALERTMANAGER_NAMES) && !requireTool(t, 'prometheus-alertmanager'))
    return false;
  assert.ok(stack, 'the stack did not start (see the before hook error)');
  return true;
}

describe("live: dead man's switch and Alertmanager failure alerts", () => {
  before(async () => {
    if (!findExecutable('prometheus') || !findFirstExecutable(ALERTMANAGER_NAMES)) return;
    stack = await startMonitoringStack({
      dir: work.path,
      // No service: this is about the pipeline itself.
      servicePort: 9,
      environment: 'prod',
      interval: '1s',
      fast: true,
      alertmanagers: 2,
    });
  });

  after(async () => {
    await stack?.stop();
    work.cleanup();
  });

  test('the Watchdog reaches the heartbeat receiver, and only it', async (t) => {
    if (!running(t)) return;
    assert.equal(RECEIVER_SECRET_KEYS.heartbeat, 'heartbeat-url');
    await waitUntil('three heartbeats', () => Promise.resolve(heartbeats().length >= 3), 30_000);
    for (const beat of heartbeats()) assert.equal(notificationTitle(beat), '[FIRING] Watchdog');
    const elsewhere = (stack?.sink.received ?? []).filter(
      (n) => n.path !== '/heartbeat' && notificationTitle(n).includes('Watchdog'),
    );
    assert.deepEqual(elsewhere, [], 'the Watchdog must not reach a human channel');
  });

  test('one Alertmanager killed: the other delivers PrometheusErrorSendingAlertsToSomeAlertmanagers, none is "Any"', async (t) => {
    if (!running(t)) return;
    assert.ok(stack);
    const [first] = stack.alertmanagers;
    assert.ok(first);
    await kill(first);
    await waitUntil(
      'PrometheusErrorSendingAlertsToSomeAlertmanagers at /team',
      () =>
        Promise.resolve(
          (stack?.sink.received ?? []).some(
            (n) =>
              n.path === '/team' &&
              notificationTitle(n) ===
                '[FIRING] PrometheusErrorSendingAlertsToSomeAlertmanagers (monitoring)',
          ),
        ),
      60_000,
    );
    assert.equal(
      await firing('PrometheusErrorSendingAlertsToAnyAlertmanager'),
      false,
      'one Alertmanager still takes alerts',
    );
    const beatsNow = heartbeats().length;
    await waitUntil(
      'the heartbeat to go on through the survivor',
      () => Promise.resolve(heartbeats().length > beatsNow),
      15_000,
    );
  });

  test('both killed: the heartbeat stops and Prometheus shows PrometheusErrorSendingAlertsToAnyAlertmanager', async (t) => {
    if (!running(t)) return;
    assert.ok(stack);
    const survivor = stack.alertmanagers[1];
    assert.ok(survivor && survivor.child.exitCode === null && survivor.child.signalCode === null);
    const beats = heartbeats().map((beat) => beat.receivedAt);
    // The usual gap between pings while an Alertmanager was alive.
    const gaps = beats.slice(1).map((at, i) => at - (beats[i] ?? at));
    const usualGap = Math.max(...gaps.slice(-5));
    const killedAt = await kill(survivor);
    await waitUntil(
      'PrometheusErrorSendingAlertsToAnyAlertmanager to fire in Prometheus',
      () => firing('PrometheusErrorSendingAlertsToAnyAlertmanager'),
      60_000,
    );
    const silentFor = Date.now() - killedAt;
    // Only meaningful if the silence lasted several ping intervals.
    await waitUntil(
      'three ping intervals of silence',
      () => Promise.resolve(Date.now() - killedAt > 3 * usualGap),
      30_000,
    );
    const late = heartbeats().filter((beat) => beat.receivedAt > killedAt);
    assert.deepEqual(
      late,
      [],
      `heartbeats after both Alertmanagers died (silence ${silentFor} ms, usual gap ${usualGap} ms)`,
    );
  });
});
