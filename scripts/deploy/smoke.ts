// The smoke checks themselves: is the service at a URL alive, ready, answering, exporting
// metrics and running the commit we deployed? Every check is retried until a deadline (a rollout
// can still be settling). Used by the CLI (scripts/smoke-test.ts) and in-process by the deploy.

export interface SmokeOptions {
  url: string;
  /** The commit /version must report; undefined means "any non-empty commit". */
  commit: string | undefined;
  deadlineMs: number;
}

interface SmokeResult {
  ok: boolean;
  attempts: number;
  reason: string;
  seconds: number;
}

/** One check: resolves when the endpoint is right, throws an Error saying what is wrong. */
type Check = (base: string, timeoutMs: number) => Promise<void>;

const POLL_INTERVAL_MS = 1_000;
const MAX_REQUEST_TIMEOUT_MS = 5_000;

async function get(base: string, path: string, timeoutMs: number): Promise<string> {
  let response: Response;
  try {
    response = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    // fetch wraps the useful part (ECONNREFUSED, timeout) in `cause`.
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
    throw new Error(`${path}: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause: error,
    });
  }
  const body = await response.text();
  if (response.status !== 200) throw new Error(`${path}: HTTP ${response.status}`);
  return body;
}

function json(path: string, body: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(body);
    if (typeof parsed === 'object' && parsed !== null) return parsed as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new Error(`${path}: answer is not a JSON object`);
}

function checks(commit: string | undefined): [string, Check][] {
  return [
    [
      'healthz',
      async (base, timeoutMs) => {
        const body = json('/healthz', await get(base, '/healthz', timeoutMs));
        if (body.status !== 'ok') throw new Error('/healthz: status is not "ok"');
      },
    ],
    [
      'readyz',
      async (base, timeoutMs) => {
        await get(base, '/readyz', timeoutMs);
      },
    ],
    [
      'root',
      async (base, timeoutMs) => {
        const body = json('/', await get(base, '/', timeoutMs));
        if (body.status !== 'ok') throw new Error('/: status is not "ok"');
      },
    ],
    [
      'metrics',
      async (base, timeoutMs) => {
        const text = await get(base, '/metrics', timeoutMs);
        if (!/^(http_request_duration_seconds|app_info)\b/m.test(text))
          throw new Error('/metrics: no http_request_duration_seconds or app_info series');
      },
    ],
    [
      'version',
      async (base, timeoutMs) => {
        const body = json('/version', await get(base, '/version', timeoutMs));
        const reported = typeof body.commit === 'string' ? body.commit : '';
        if (commit === undefined ? reported === '' : reported !== commit)
          throw new Error(
            `/version: commit is "${reported}", expected ${commit === undefined ? 'a commit' : `"${commit}"`}`,
          );
      },
    ],
  ];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One round of every check, in order; returns what is wrong, or undefined when all pass. */
async function round(options: SmokeOptions, deadline: number): Promise<string | undefined> {
  for (const [, check] of checks(options.commit)) {
    // Even past the deadline, a check gets a short chance rather than being skipped unasked.
    const timeoutMs = Math.max(200, Math.min(MAX_REQUEST_TIMEOUT_MS, deadline - Date.now()));
    try {
      await check(options.url, timeoutMs);
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
  }
  return undefined;
}

/** Repeats rounds until one passes completely or the deadline passes. */
export async function smoke(options: SmokeOptions): Promise<SmokeResult> {
  const started = Date.now();
  const deadline = started + options.deadlineMs;
  const result = (ok: boolean, attempts: number, reason: string): SmokeResult => ({
    ok,
    attempts,
    reason,
    seconds: (Date.now() - started) / 1000,
  });
  let attempts = 0;
  for (;;) {
    attempts += 1;
    const reason = await round(options, deadline);
    if (reason === undefined) return result(true, attempts, '');
    const remaining = deadline - Date.now();
    if (remaining <= 0) return result(false, attempts, reason);
    await sleep(Math.min(POLL_INTERVAL_MS, remaining));
    if (Date.now() >= deadline) return result(false, attempts, reason);
  }
}

/** The one-line verdict both the CLI and the deploy print. */
export function verdict(options: SmokeOptions, result: SmokeResult): string {
  const names = checks(options.commit)
    .map(([name]) => name)
    .join(', ');
  const seconds = result.seconds.toFixed(1);
  if (result.ok)
    return `smoke test PASSED: ${options.url} (${names}; commit ${options.commit ?? 'not checked'}) after ${result.attempts} attempt(s), ${seconds} s`;
  return `smoke test FAILED: ${options.url}: ${result.reason} (${result.attempts} attempt(s) in ${seconds} s, deadline ${options.deadlineMs / 1000} s)`;
}
