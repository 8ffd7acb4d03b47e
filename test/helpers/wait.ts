// Waiting on a real condition with a deadline, so tests never sleep in place of observing what
// they need (a backend in rotation, a log line, a request count, readiness turning 503). The
// tests' name for scripts/lib/poll.ts, with their defaults: 10 s, checked every 20 ms.
import { pollUntil } from '../../scripts/lib/poll.js';

export async function until(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
  intervalMs = 20,
): Promise<void> {
  await pollUntil(what, condition, { timeoutMs, intervalMs });
}
