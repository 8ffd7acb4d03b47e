// The metric names the shipped alert rules and Grafana dashboards read, derived from those files
// (through the same readers the monitoring tests use), and the query that asks whether one has data.
import {
  dashboardQueries,
  metricNames,
  shippedRuleExpressions,
} from '../../helpers/monitoring-config.js';

export interface MetricUse {
  name: string;
  /** Where it is read: "rules", "dashboards" or both. */
  readBy: string[];
}

export function monitoredMetrics(
  ruleExpressions: readonly string[] = shippedRuleExpressions(),
  dashboardExpressions: readonly string[] = dashboardQueries().map((query) => query.expr),
): MetricUse[] {
  const uses = new Map<string, Set<string>>();
  const add = (expressions: readonly string[], reader: string) => {
    for (const expr of expressions)
      for (const name of metricNames(expr))
        uses.set(name, (uses.get(name) ?? new Set()).add(reader));
  };
  add(ruleExpressions, 'rules');
  add(dashboardExpressions, 'dashboards');
  return [...uses.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, readers]) => ({ name, readBy: [...readers].sort() }));
}

/** How many series of a metric exist now, whatever their labels (recording rules included). */
export function seriesCountQuery(name: string): string {
  return `count({__name__="${name}"})`;
}
