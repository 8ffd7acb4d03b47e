// Measures event-loop delay so /healthz can report a stalled process. A probe that only answers
// "200" proves the loop ran once; this records how late the loop has been running recently.
// A plain timer measures its own lateness: simple, deterministic, and cheap at 10 ticks a second.
const TICK_MS = 100;

/**
 * The worst lateness seen in the current window and in the last complete one. Keeping the last
 * window means a stall just before a window ends is still reported after it; dropping older
 * windows means one stall fails liveness for one to two windows, not forever.
 */
export class DelayWindows {
  #windowStart: number;
  #currentMaxMs = 0;
  #previousMaxMs = 0;

  constructor(
    private readonly windowMs: number,
    start: number,
  ) {
    this.#windowStart = start;
  }

  /** Records how late a tick ran at time `now` (ms, monotonic). */
  record(lateMs: number, now: number): void {
    this.#currentMaxMs = Math.max(this.#currentMaxMs, lateMs);
    if (now - this.#windowStart >= this.windowMs) {
      this.#previousMaxMs = this.#currentMaxMs;
      this.#currentMaxMs = 0;
      this.#windowStart = now;
    }
  }

  get maxMs(): number {
    return Math.max(this.#currentMaxMs, this.#previousMaxMs);
  }
}

export class EventLoopMonitor {
  readonly #timer: NodeJS.Timeout;
  #lastTick = performance.now();
  readonly #windows: DelayWindows;

  constructor(windowMs = 5000) {
    this.#windows = new DelayWindows(windowMs, this.#lastTick);
    this.#timer = setInterval(() => {
      const now = performance.now();
      this.#windows.record(Math.max(0, now - this.#lastTick - TICK_MS), now);
      this.#lastTick = now;
    }, TICK_MS);
    this.#timer.unref();
  }

  /** Worst event-loop delay in the current or last complete window, in milliseconds. */
  get maxDelayMs(): number {
    return this.#windows.maxMs;
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}
