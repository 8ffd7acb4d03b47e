// The one place that knows whether the process is starting, ready or draining. /readyz reads it
// and the shutdown sequence writes it, so readiness and shutdown can never disagree.
type LifecycleState = 'starting' | 'ready' | 'draining';

export class Lifecycle {
  #state: LifecycleState = 'starting';

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
}
