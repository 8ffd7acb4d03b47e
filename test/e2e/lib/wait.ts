// Waiting in the e2e suite: every wait polls a condition until a deadline, says what it waits for
// when it starts and how long it took, and fails with one line naming the condition and the last
// thing it saw. No fixed sleeps stand in for readiness.

export interface Observation<T> {
  /** The condition holds; `value` is what the caller wanted. */
  done: boolean;
  value?: T;
  /** What was seen, for the log and the failure line, e.g. "3 of 4 targets up". */
  seen: string;
}

export interface WaitOptions {
  timeoutMs: number;
  intervalMs?: number;
  /** Where progress lines go (console.log by default; tests pass their own). */
  log?: (line: string) => void;
}

export async function waitFor<T>(
  what: string,
  check: () => Promise<Observation<T>>,
  options: WaitOptions,
): Promise<T> {
  const log = options.log ?? console.log;
  const interval = options.intervalMs ?? 2_000;
  const started = Date.now();
  const deadline = started + options.timeoutMs;
  log(`waiting for ${what} (up to ${Math.round(options.timeoutMs / 1000)} s)`);
  let seen: string;
  for (;;) {
    try {
      const observation = await check();
      seen = observation.seen;
      if (observation.done) {
        log(`${what}: after ${((Date.now() - started) / 1000).toFixed(1)} s (${seen})`);
        return observation.value as T;
      }
    } catch (error) {
      seen = error instanceof Error ? error.message : String(error);
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0)
      throw new Error(
        `timed out after ${Math.round(options.timeoutMs / 1000)} s waiting for ${what}; last seen: ${seen}`,
      );
    await new Promise((resolve) => setTimeout(resolve, Math.min(interval, remaining)));
  }
}

/**
 * Calls `sample` every `intervalMs` for `durationMs`: for checks that a value holds over a period
 * (a replica count that must not drop), not for waiting on readiness.
 */
export async function observeFor(
  durationMs: number,
  intervalMs: number,
  sample: () => Promise<void>,
): Promise<void> {
  const until = Date.now() + durationMs;
  while (Date.now() < until) {
    await sample();
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
