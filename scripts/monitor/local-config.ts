// Turns the shipped monitoring configuration into one that runs on this machine, on loopback:
// Kubernetes discovery becomes static targets carrying the labels discovery would have set,
// Alertmanager's receivers read their URLs from a local folder instead of the Secret mount.
// Everything else (rules, routes, inhibitions, receivers, templates) is the shipped text. The
// live test and `make monitor` both use this, so the two paths cannot drift apart.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { withShortFor } from './rules.js';
import { RECEIVER_SECRETS_DIR } from './receivers.js';
import {
  ALERTMANAGER_CONFIG_KEY,
  CONFIG_MAPS,
  PROMETHEUS_CONFIG_KEY,
  shippedConfigMap,
} from './shipped-config.js';

interface LocalStackOptions {
  /** Folder that receives the generated files (created if missing). */
  dir: string;
  servicePort: number;
  prometheusPort: number;
  /** One port per Alertmanager: Prometheus sends every alert to each, as in the cluster. */
  alertmanagerPorts: number[];
  /** The Kubernetes namespace (= environment) the local service pretends to run in. */
  environment: string;
  /** Scrape and rule-evaluation interval, e.g. "15s" as shipped or "1s" in a test. */
  interval: string;
  /** Receiver file name (e.g. "pager-url") -> URL it should post to. */
  receiverUrls: Record<string, string>;
  /**
   * Test only: every alert's `for:` to 0s, Alertmanager's grouping waits to 1s, and a route that
   * repeats within a minute (the heartbeat) every second.
   */
  fast?: boolean;
}

export interface LocalStackFiles {
  prometheusConfig: string;
  alertmanagerConfig: string;
  ruleFiles: string[];
}

interface ScrapeConfig {
  job_name: string;
  metrics_path?: string;
  honor_labels?: boolean;
  scrape_protocols?: string[];
  [key: string]: unknown;
}

interface Route {
  group_wait?: string;
  group_interval?: string;
  repeat_interval?: string;
  routes?: Route[];
  [key: string]: unknown;
}

/** The shipped scrape job of that name, or a clear error if the shipped config lost it. */
function shippedJob(jobs: ScrapeConfig[], name: string): ScrapeConfig {
  const job = jobs.find((candidate) => candidate.job_name === name);
  if (!job) throw new Error(`k8s/monitoring/prometheus/prometheus.yml: no scrape job ${name}`);
  return job;
}

/**
 * A shipped job with its discovery replaced by one loopback target and the labels given; what
 * the job asks of the target (path, labels, exposition formats) is kept.
 */
function staticJob(
  job: ScrapeConfig,
  targets: string[],
  labels: Record<string, string>,
): ScrapeConfig {
  return {
    job_name: job.job_name,
    ...(job.metrics_path === undefined ? {} : { metrics_path: job.metrics_path }),
    ...(job.honor_labels === undefined ? {} : { honor_labels: job.honor_labels }),
    ...(job.scrape_protocols === undefined ? {} : { scrape_protocols: job.scrape_protocols }),
    static_configs: [{ targets, labels }],
  };
}

function localPrometheusConfig(options: LocalStackOptions, ruleFiles: string[]): string {
  const shipped = parse(
    shippedConfigMap(CONFIG_MAPS.prometheus).data[PROMETHEUS_CONFIG_KEY] ?? '',
  ) as { global?: Record<string, unknown>; scrape_configs: ScrapeConfig[] };
  const jobs = shipped.scrape_configs;
  const env = options.environment;
  const alertmanagers = options.alertmanagerPorts.map((port) => `127.0.0.1:${port}`);
  return stringify({
    global: {
      ...shipped.global,
      scrape_interval: options.interval,
      scrape_timeout: options.interval,
      evaluation_interval: options.interval,
    },
    rule_files: ruleFiles,
    // Discovery of the ready Alertmanager pods becomes the list of local ones.
    alerting: { alertmanagers: [{ static_configs: [{ targets: alertmanagers }] }] },
    scrape_configs: [
      // What the hello-api job's relabelling sets from pod metadata in the cluster.
      staticJob(shippedJob(jobs, 'hello-api'), [`127.0.0.1:${options.servicePort}`], {
        namespace: env,
        pod: 'hello-api-local',
      }),
      staticJob(shippedJob(jobs, 'prometheus'), [`127.0.0.1:${options.prometheusPort}`], {
        namespace: 'monitoring',
      }),
      staticJob(shippedJob(jobs, 'alertmanager'), alertmanagers, { namespace: 'monitoring' }),
    ],
  });
}

/** Duration of the form "50s", "5m", "4h" in seconds. */
function seconds(duration: string): number {
  const match = /^(\d+)([smh])$/.exec(duration);
  if (!match) throw new Error(`alertmanager.yml: unexpected duration ${duration} (use s, m or h)`);
  return Number(match[1]) * { s: 1, m: 60, h: 3600 }[match[2] as 's' | 'm' | 'h'];
}

function shortenWaits(route: Route): void {
  route.group_wait = '1s';
  route.group_interval = '1s';
  if (route.repeat_interval !== undefined && seconds(route.repeat_interval) <= 60)
    route.repeat_interval = '1s';
  for (const child of route.routes ?? []) shortenWaits(child);
}

/** The shipped Alertmanager config with the Secret mount path pointed at `secretsDir`. */
export function localAlertmanagerConfig(secretsDir: string, fast: boolean): string {
  const text = shippedConfigMap(CONFIG_MAPS.alertmanager).data[ALERTMANAGER_CONFIG_KEY] ?? '';
  const config = parse(text.replaceAll(`${RECEIVER_SECRETS_DIR}/`, `${secretsDir}/`)) as {
    route: Route;
  };
  if (fast) shortenWaits(config.route);
  return stringify(config);
}

/** Writes Prometheus and Alertmanager configs, rule files and receiver URL files into `dir`. */
export function writeLocalStack(options: LocalStackOptions): LocalStackFiles {
  const rulesDir = join(options.dir, 'rules');
  const secretsDir = join(options.dir, 'secrets');
  mkdirSync(rulesDir, { recursive: true });
  mkdirSync(secretsDir, { recursive: true });

  const ruleFiles: string[] = [];
  for (const [key, text] of Object.entries(shippedConfigMap(CONFIG_MAPS.rules).data)) {
    const path = join(rulesDir, key);
    writeFileSync(path, options.fast ? withShortFor(text, key, '0s') : text);
    ruleFiles.push(path);
  }
  for (const [file, url] of Object.entries(options.receiverUrls)) {
    writeFileSync(join(secretsDir, file), url);
  }

  const prometheusConfig = join(options.dir, 'prometheus.yml');
  writeFileSync(prometheusConfig, localPrometheusConfig(options, ruleFiles));
  const alertmanagerConfig = join(options.dir, 'alertmanager.yml');
  writeFileSync(alertmanagerConfig, localAlertmanagerConfig(secretsDir, options.fast === true));
  return { prometheusConfig, alertmanagerConfig, ruleFiles };
}
