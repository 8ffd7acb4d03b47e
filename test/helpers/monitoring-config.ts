// Shared by the monitoring tests: the shipped ConfigMaps' data written to a temp folder (so the
// engines check exactly what ships), the alert rules they define, the dashboards' queries, and
// runbook anchors as GitHub renders them.
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alertingRules, parseRuleFile, type Rule } from '../../scripts/monitor/rules.js';
import { CONFIG_MAPS, shippedConfigMap } from '../../scripts/monitor/shipped-config.js';
import { repoPath } from './paths.js';

/** A temp folder removed by `cleanup`; tests call it from `after`. */
export function tempDir(prefix: string): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), `hello-api-${prefix}-`));
  return {
    path,
    cleanup: () => {
      rmSync(path, { recursive: true, force: true });
    },
  };
}

/** Writes every key of a shipped ConfigMap into `dir`; returns key -> written path. */
export function extractConfigMap(name: string, dir: string): Record<string, string> {
  mkdirSync(dir, { recursive: true });
  const written: Record<string, string> = {};
  for (const [key, text] of Object.entries(shippedConfigMap(name).data)) {
    written[key] = join(dir, key);
    writeFileSync(written[key], text);
  }
  return written;
}

interface ShippedAlert extends Rule {
  alert: string;
  /** The rule file (ConfigMap key) that defines it. */
  file: string;
}

/** Every alerting rule of the prometheus-rules ConfigMap (an alert may have several rules). */
export function shippedAlerts(): ShippedAlert[] {
  const alerts: ShippedAlert[] = [];
  for (const [file, text] of Object.entries(shippedConfigMap(CONFIG_MAPS.rules).data)) {
    for (const rule of alertingRules(parseRuleFile(text, file))) {
      if (rule.alert !== undefined) alerts.push({ ...rule, alert: rule.alert, file });
    }
  }
  return alerts;
}

/** Every query expression the shipped rules evaluate (alerts and recordings). */
export function shippedRuleExpressions(): string[] {
  return Object.entries(shippedConfigMap(CONFIG_MAPS.rules).data).flatMap(([file, text]) =>
    parseRuleFile(text, file).groups.flatMap((group) => group.rules.map((rule) => rule.expr)),
  );
}

interface DashboardQuery {
  dashboard: string;
  panel: string;
  expr: string;
}

interface Panel {
  type: string;
  title: string;
  targets?: { expr?: string }[];
  panels?: Panel[];
}

interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
  annotations?: { list: { name: string; expr?: string }[] };
  templating?: { list: { name: string; query?: { query?: string } | string }[] };
}

export function shippedDashboards(): Map<string, Dashboard> {
  const dashboards = new Map<string, Dashboard>();
  for (const [key, text] of Object.entries(shippedConfigMap(CONFIG_MAPS.dashboards).data)) {
    dashboards.set(key, JSON.parse(text) as Dashboard);
  }
  return dashboards;
}

/** Every PromQL target of every panel (rows included) and annotation, as written in the dashboard. */
export function dashboardQueries(): DashboardQuery[] {
  const queries: DashboardQuery[] = [];
  const visit = (dashboard: string, panels: Panel[]) => {
    for (const panel of panels) {
      for (const target of panel.targets ?? []) {
        if (target.expr !== undefined)
          queries.push({ dashboard, panel: panel.title, expr: target.expr });
      }
      visit(dashboard, panel.panels ?? []);
    }
  };
  for (const [key, dashboard] of shippedDashboards()) {
    visit(key, dashboard.panels);
    for (const annotation of dashboard.annotations?.list ?? [])
      if (annotation.expr !== undefined)
        queries.push({
          dashboard: key,
          panel: `annotation ${annotation.name}`,
          expr: annotation.expr,
        });
  }
  return queries;
}

/**
 * A dashboard query with Grafana's variables replaced by concrete values: the environment
 * chosen, and a rate window long enough for the scrape interval in use.
 */
export function substituteVariables(expr: string, environment: string, rateWindow: string): string {
  return expr
    .replaceAll('$environment', environment)
    .replaceAll('$__rate_interval', rateWindow)
    .replaceAll('$__interval', rateWindow);
}

/** Heading anchors of a Markdown file, slugged the way GitHub does for runbook_url links. */
export function markdownAnchors(relativePath: string): Set<string> {
  const anchors = new Set<string>();
  for (const line of readFileSync(repoPath(relativePath), 'utf8').split('\n')) {
    const heading = /^#{1,6}\s+(.+?)\s*$/.exec(line);
    if (!heading?.[1]) continue;
    anchors.add(
      heading[1]
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s_-]/gu, '')
        .replace(/\s/g, '-'),
    );
  }
  return anchors;
}

/** Metric names an expression reads (identifiers that are not functions, keywords or labels). */
export function metricNames(expr: string): Set<string> {
  const withoutStrings = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  const withoutMatchers = withoutStrings.replace(/\{[^}]*\}/g, '{}').replace(/\[[^\]]*\]/g, '');
  const withoutGrouping = withoutMatchers.replace(
    /\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g,
    '',
  );
  const names = new Set<string>();
  for (const match of withoutGrouping.matchAll(/(?<![\w.$])([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\(?)/g)) {
    const [, name = '', call] = match;
    if (call === '(' || PROMQL_WORDS.has(name)) continue;
    if (/^\d/.test(name)) continue;
    names.add(name);
  }
  return names;
}

const PROMQL_WORDS = new Set([
  'and',
  'or',
  'unless',
  'offset',
  'bool',
  'inf',
  'nan',
  'e',
  // Without a label list ("/ ignoring (reason) group_left rate(...)") these are bare words.
  'group_left',
  'group_right',
]);
