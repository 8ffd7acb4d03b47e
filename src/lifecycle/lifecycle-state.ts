// The one place that knows whether the process is starting, ready or draining (and, at the very
// end of the drain, whether answers are held back while the listener closes). /readyz and the
// answers read it and the shutdown sequence writes it, so they can never disagree.
type LifecycleState = 'starting' | 'ready' | 'draining';

export class Lifecycle {
  #state: LifecycleState = 'starting';
  #answersHeldUntil: Promise<void> | null = null;

  get state(): LifecycleState {
    return this.#state;
  }

  get isReady(): boolean {
    return this.#state === 'ready';
  }

  /** Called once the server listens. Ignored after draining began: a drain is never undone. */
  markReady(): void {
    if (this.#state === 'starting') this.#state = 'ready';
  }

  /** Called when shutdown begins; from then on /readyz answers 503. */
  beginDraining(): void {
    this.#state = 'draining';
  }

  /** While the drain closes the listener, answers wait for this (connection-drain.ts says why). */
  get answersHeldUntil(): Promise<void> | null {
    return this.#answersHeldUntil;
  }

  holdAnswersUntil(released: Promise<void>): void {
    this.#answersHeldUntil = released;
    void released.then(() => {
      this.#answersHeldUntil = null;
    });
  }
}
