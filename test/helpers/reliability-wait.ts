// Waiting on a real condition with a deadline, so the reliability tests never sleep in place of
// observing what they need (a backend in rotation, a log line, a request count).
import { setTimeout as sleep } from 'node:timers/promises';

export async function until(
  condition: () => boolean,
  what: string,
  timeoutMs = 10_000,
  intervalMs = 20,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}
