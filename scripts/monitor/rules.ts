// Reading Prometheus rule files: the alerting rules they define, and a copy whose `for:` waits
// and group intervals are shortened so a test (never the shipped files) can watch an alert fire,
// or a slowly recorded series appear, within seconds.
import { parse, stringify } from 'yaml';

export interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

interface RuleFile {
  groups: { name: string; interval?: string; rules: Rule[] }[];
}

export function parseRuleFile(text: string, source: string): RuleFile {
  const parsed = parse(text) as Partial<RuleFile> | null;
  if (!parsed || !Array.isArray(parsed.groups)) throw new Error(`${source}: no rule groups`);
  return parsed as RuleFile;
}

export function alertingRules(file: RuleFile): Rule[] {
  return file.groups.flatMap((group) => group.rules.filter((rule) => rule.alert !== undefined));
}

/**
 * The rule file with every `for:` replaced by `forOverride` (e.g. "0s"), and every group
 * evaluated at the global interval (the SLO budget group's 5m would otherwise delay it).
 */
export function withShortFor(text: string, source: string, forOverride: string): string {
  const file = parseRuleFile(text, source);
  for (const group of file.groups) {
    delete group.interval;
    for (const rule of group.rules) {
      if (rule.alert !== undefined && rule.for !== undefined) rule.for = forOverride;
    }
  }
  return stringify(file);
}
