// Waiting for a condition with a deadline instead of a fixed sleep: the one polling loop the
// scripts and the tests share (a server answering, a container ready, a log line written).
import { setTimeout as sleep } from 'node:timers/promises';

interface PollOptions {
  /** Give up once this many milliseconds have passed since the first attempt. */
  readonly timeoutMs: number;
  /** Pause between attempts; default 100 ms. */
  readonly intervalMs?: number;
}

/** What a check returns while the condition does not hold yet. */
type NotYet = undefined | false;

/**
 * Calls `check` until it returns something other than `undefined` or `false` and resolves with
 * that value. After the deadline it rejects with "<what>: not reached within <timeoutMs> ms".
 * `check` runs at least once, and may throw to stop at once (e.g. the awaited process exited).
 */
export async function pollUntil<T>(
  what: string,
  check: () => T | NotYet | Promise<T | NotYet>,
  options: PollOptions,
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() >= deadline) {
      throw new Error(`${what}: not reached within ${options.timeoutMs} ms`);
    }
    await sleep(options.intervalMs ?? 100);
  }
}
