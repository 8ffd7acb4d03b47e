// The local monitoring stack: a webhook sink standing in for the receivers, Alertmanager and
// Prometheus with the shipped configuration adapted by local-config.ts, all on loopback.
// Used by the live test and by `make monitor`; the caller starts the service itself.
import { join } from 'node:path';
import { findExecutable, findFirstExecutable } from '../lib/find-executable.js';
import { freePort } from '../lib/free-port.js';
import { writeLocalStack, type LocalStackFiles } from './local-config.js';
import {
  ALERTMANAGER_NAMES,
  startAlertmanager,
  startPrometheus,
  type LocalProcess,
} from './processes.js';
import { receiverSecretKeys, shippedPrometheusFeatureFlags } from './shipped-config.js';
import { startWebhookSink, type Notification, type WebhookSink } from './webhook-sink.js';

interface StackOptions {
  dir: string;
  servicePort: number;
  /** 0 picks free ports (tests); fixed ports make bookmarkable URLs (make monitor). */
  prometheusPort?: number;
  alertmanagerPort?: number;
  /** How many Alertmanagers to run (default 1); the extra ones get free ports. */
  alertmanagers?: number;
  sinkPort?: number;
  environment: string;
  interval: string;
  fast?: boolean;
  onNotification?: (notification: Notification) => void;
}

export interface MonitoringStack {
  prometheus: LocalProcess;
  /** The first Alertmanager. */
  alertmanager: LocalProcess;
  alertmanagers: LocalProcess[];
  sink: WebhookSink;
  files: LocalStackFiles;
  stop(): Promise<void>;
}

function engineBinaries(): { prometheus?: string; alertmanager?: string } {
  return {
    prometheus: findExecutable('prometheus'),
    alertmanager: findFirstExecutable(ALERTMANAGER_NAMES),
  };
}

export async function startMonitoringStack(options: StackOptions): Promise<MonitoringStack> {
  const binaries = engineBinaries();
  if (!binaries.prometheus) throw new Error('prometheus not found on PATH (Debian: prometheus)');
  if (!binaries.alertmanager)
    throw new Error('alertmanager not found on PATH (Debian: prometheus-alertmanager)');

  const prometheusPort = options.prometheusPort || (await freePort());
  const alertmanagerPorts = [options.alertmanagerPort || (await freePort())];
  while (alertmanagerPorts.length < (options.alertmanagers ?? 1))
    alertmanagerPorts.push(await freePort());
  const sink = await startWebhookSink(options.sinkPort ?? 0, options.onNotification);
  const receiverUrls: Record<string, string> = {};
  for (const [receiver, key] of receiverSecretKeys()) receiverUrls[key] = `${sink.url}/${receiver}`;

  const files = writeLocalStack({
    dir: options.dir,
    servicePort: options.servicePort,
    prometheusPort,
    alertmanagerPorts,
    environment: options.environment,
    interval: options.interval,
    receiverUrls,
    fast: options.fast ?? false,
  });

  const stoppers: (() => Promise<void>)[] = [() => sink.close()];
  const stop = async () => {
    // In reverse start order: Prometheus first, so it never reports a vanished Alertmanager.
    for (const stopOne of stoppers.reverse()) await stopOne();
    stoppers.length = 0;
  };
  try {
    const alertmanagers: LocalProcess[] = [];
    for (const [index, port] of alertmanagerPorts.entries()) {
      const alertmanager = await startAlertmanager({
        binary: binaries.alertmanager,
        configFile: files.alertmanagerConfig,
        port,
        dataDir: join(
          options.dir,
          index === 0 ? 'alertmanager-data' : `alertmanager-${index}-data`,
        ),
      });
      stoppers.push(() => alertmanager.stop());
      alertmanagers.push(alertmanager);
    }
    const [alertmanager] = alertmanagers;
    if (!alertmanager) throw new Error('no Alertmanager started');
    const prometheus = await startPrometheus({
      binary: binaries.prometheus,
      configFile: files.prometheusConfig,
      port: prometheusPort,
      dataDir: join(options.dir, 'prometheus-data'),
      // The shipped feature flags (exemplar storage). Test only: alerts that fired before
      // Prometheus knew its Alertmanagers are sent again after 1 s instead of the default minute.
      extraArgs: [
        ...shippedPrometheusFeatureFlags(),
        ...(options.fast ? ['--rules.alert.resend-delay=1s'] : []),
      ],
    });
    stoppers.push(() => prometheus.stop());
    return { prometheus, alertmanager, alertmanagers, sink, files, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
