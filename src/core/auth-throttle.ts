/** Inputs of AuthThrottle. */
export interface AuthThrottleOptions {
  /** Failed attempts allowed per key within `windowMs`. */
  readonly maxFailures: number;
  readonly windowMs: number;
  readonly now: () => number;
  /** Bound on the keys remembered (memory); the oldest window is forgotten first. */
  readonly maxKeys?: number;
}

/**
 * Counts failed authentications per key (client address + the account the credentials name) in a
 * fixed window, so guessing API keys is slow and cheap to refuse: a refused attempt costs no scrypt.
 * Keyed by account as well as address, one guesser cannot lock everyone behind a shared proxy out.
 */
export class AuthThrottle {
  readonly #o: AuthThrottleOptions;
  readonly #windows = new Map<string, { start: number; failures: number }>();

  constructor(options: AuthThrottleOptions) {
    this.#o = Object.freeze({ ...options });
  }

  /** How long `key` must wait before it may try again; 0 when it may try now. */
  retryAfterMs(key: string): number {
    const w = this.#windows.get(key);
    if (!w) return 0;
    const left = w.start + this.#o.windowMs - this.#o.now();
    if (left <= 0) {
      this.#windows.delete(key);
      return 0;
    }
    return w.failures >= this.#o.maxFailures ? left : 0;
  }

  /** Records a failed attempt of `key`. */
  failed(key: string): void {
    const now = this.#o.now();
    const w = this.#windows.get(key);
    if (w && now < w.start + this.#o.windowMs) {
      w.failures++;
      return;
    }
    this.#windows.delete(key);
    const max = this.#o.maxKeys ?? 10_000;
    // Map order is insertion order: the first key has the oldest window.
    for (const old of this.#windows.keys()) {
      if (this.#windows.size < max) break;
      this.#windows.delete(old);
    }
    this.#windows.set(key, { start: now, failures: 1 });
  }
}
