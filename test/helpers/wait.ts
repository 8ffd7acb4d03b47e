// Waiting on a real condition with a deadline, so tests never sleep in place of observing what
// they need (a backend in rotation, a log line, a request count, readiness turning 503).
import { setTimeout as sleep } from 'node:timers/promises';

export async function until(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
  intervalMs = 20,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}
