// Measures event-loop delay so /healthz can report a stalled process. A probe that only answers
// "200" proves the loop ran once; this records how late the loop has been running recently.
// A plain timer measures its own lateness: simple, deterministic, and cheap at 10 ticks a second.
const TICK_MS = 100;

export class EventLoopMonitor {
  readonly #timer: NodeJS.Timeout;
  readonly #windowMs: number;
  #lastTick = performance.now();
  #windowStart = this.#lastTick;
  #currentMaxMs = 0;
  #previousMaxMs = 0;

  constructor(windowMs = 5000) {
    this.#windowMs = windowMs;
    this.#timer = setInterval(() => {
      this.#tick();
    }, TICK_MS);
    this.#timer.unref();
  }

  #tick(): void {
    const now = performance.now();
    const lateMs = Math.max(0, now - this.#lastTick - TICK_MS);
    this.#lastTick = now;
    this.#currentMaxMs = Math.max(this.#currentMaxMs, lateMs);
    // Keep the worst delay of the current and the last complete window.
    if (now - this.#windowStart >= this.#windowMs) {
      this.#previousMaxMs = this.#currentMaxMs;
      this.#currentMaxMs = 0;
      this.#windowStart = now;
    }
  }

  /** Worst event-loop delay in the current or last complete window, in milliseconds. */
  get maxDelayMs(): number {
    return Math.max(this.#currentMaxMs, this.#previousMaxMs);
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}
