// Measures event-loop delay so /healthz can report a stalled process. A probe that only answers
// "200" proves the loop ran once; this records how late the loop has been running recently.
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

export class EventLoopMonitor {
  readonly #histogram: IntervalHistogram;
  readonly #timer: NodeJS.Timeout;
  #recentMaxMs = 0;

  constructor(windowMs = 5000) {
    this.#histogram = monitorEventLoopDelay({ resolution: 20 });
    this.#histogram.enable();
    // Every window, remember the worst delay seen and start a fresh window.
    this.#timer = setInterval(() => {
      this.#recentMaxMs = this.#histogram.max / 1e6;
      this.#histogram.reset();
    }, windowMs);
    this.#timer.unref();
  }

  /** Worst event-loop delay in the current or last complete window, in milliseconds. */
  get maxDelayMs(): number {
    return Math.max(this.#recentMaxMs, this.#histogram.max / 1e6);
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#histogram.disable();
  }
}
