/**
 * A wait that something else can end early: `wake()` (an event arrived) ends the current `wait`, or
 * the next one at once if none is running, so an event that comes while the caller is busy is not lost.
 */
export class Wakeup {
  #pending = false;
  #resolve: (() => void) | undefined;

  /** Ends the current wait, or the next one. */
  wake(): void {
    this.#pending = true;
    this.#resolve?.();
  }

  /** Resolves after `ms`, or sooner on `wake()`. */
  wait(ms: number): Promise<void> {
    if (this.#pending) {
      this.#pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#pending = false;
        this.#resolve = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#resolve = done;
    });
  }
}
