// Prometheus's HTTP API as the suite reads it (prometheus.io/docs/prometheus/latest/querying/api/):
// instant queries (now or at a past time), the active targets and the loaded rule groups, parsed
// into plain values with one-line errors.

export interface Sample {
  metric: Record<string, string>;
  value: number;
}

export interface Target {
  job: string;
  health: string;
  labels: Record<string, string>;
  scrapeUrl: string;
  lastError: string;
}

interface ApiEnvelope {
  status?: string;
  error?: string;
  errorType?: string;
  data?: unknown;
}

function unwrap(body: unknown, what: string): unknown {
  const envelope = body as ApiEnvelope;
  if (envelope.status !== 'success')
    throw new Error(
      `Prometheus ${what}: status ${envelope.status ?? 'missing'}${envelope.error ? ` (${envelope.errorType ?? 'error'}: ${envelope.error})` : ''}`,
    );
  return envelope.data;
}

/** /api/v1/query answer -> samples; only instant vectors are expected here. */
export function parseVector(body: unknown): Sample[] {
  const data = unwrap(body, 'query') as {
    resultType?: string;
    result?: { metric?: Record<string, string>; value?: [number, string] }[];
  };
  if (data.resultType !== 'vector')
    throw new Error(`Prometheus query: expected a vector, got ${data.resultType ?? 'nothing'}`);
  return (data.result ?? []).map((entry) => ({
    metric: entry.metric ?? {},
    value: Number(entry.value?.[1]),
  }));
}

/** /api/v1/targets answer -> active targets. */
export function parseTargets(body: unknown): Target[] {
  const data = unwrap(body, 'targets') as {
    activeTargets?: {
      labels?: Record<string, string>;
      scrapePool?: string;
      health?: string;
      scrapeUrl?: string;
      lastError?: string;
    }[];
  };
  return (data.activeTargets ?? []).map((target) => ({
    job: target.labels?.job ?? target.scrapePool ?? '',
    health: target.health ?? 'unknown',
    labels: target.labels ?? {},
    scrapeUrl: target.scrapeUrl ?? '',
    lastError: target.lastError ?? '',
  }));
}

export interface RuleGroup {
  name: string;
  file: string;
  rules: { name: string; type: string; health: string }[];
}

/** /api/v1/rules answer -> the rule groups Prometheus has loaded. */
export function parseRuleGroups(body: unknown): RuleGroup[] {
  const data = unwrap(body, 'rules') as {
    groups?: {
      name?: string;
      file?: string;
      rules?: { name?: string; type?: string; health?: string }[];
    }[];
  };
  return (data.groups ?? []).map((group) => ({
    name: group.name ?? '',
    file: group.file ?? '',
    rules: (group.rules ?? []).map((rule) => ({
      name: rule.name ?? '',
      type: rule.type ?? '',
      health: rule.health ?? 'unknown',
    })),
  }));
}

/** "hello-api 7/7 up, apiserver 1/1 up": the figures the suite prints. */
export function summarizeTargets(targets: readonly Target[]): string {
  const jobs = new Map<string, { up: number; total: number }>();
  for (const target of targets) {
    const entry = jobs.get(target.job) ?? { up: 0, total: 0 };
    entry.total += 1;
    if (target.health === 'up') entry.up += 1;
    jobs.set(target.job, entry);
  }
  return [...jobs.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([job, { up, total }]) => `${job} ${up}/${total} up`)
    .join(', ');
}

async function getJson(url: string): Promise<unknown> {
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`${url} answered ${response.status} with non-JSON: ${text.slice(0, 200)}`);
  }
}

/** An instant query, evaluated now or at `at` (Unix seconds). */
export async function query(base: string, expr: string, at?: number): Promise<Sample[]> {
  const time = at === undefined ? '' : `&time=${at}`;
  return parseVector(
    await getJson(`${base}/api/v1/query?query=${encodeURIComponent(expr)}${time}`),
  );
}

export async function ruleGroups(base: string): Promise<RuleGroup[]> {
  return parseRuleGroups(await getJson(`${base}/api/v1/rules`));
}

export async function targets(base: string): Promise<Target[]> {
  return parseTargets(await getJson(`${base}/api/v1/targets?state=active`));
}
