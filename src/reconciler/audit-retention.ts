import { describeCause } from '../core/errors.js';
import type { Clock, Store } from '../core/ports.js';

/** Inputs of AuditRetention. */
export interface AuditRetentionOptions {
  readonly store: Store;
  readonly clock: Clock;
  readonly log: (line: string) => void;
  /** Entries older than this many days are deleted; 0 keeps them forever. */
  readonly days: number;
  /** How often to prune (default hourly). */
  readonly intervalMs?: number;
}

const DAY_MS = 86_400_000;

/** Keeps the gateway's audit log within its retention: prunes at start and then periodically. */
export class AuditRetention {
  readonly #o: AuditRetentionOptions;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<number> | undefined;

  constructor(options: AuditRetentionOptions) {
    this.#o = Object.freeze({ ...options });
  }

  start(): void {
    if (this.#o.days === 0) return;
    void this.prune();
    this.#timer = setInterval(() => void this.prune(), this.#o.intervalMs ?? 3_600_000);
    this.#timer.unref();
  }

  /** Deletes what is past the retention now; returns how many entries went (0 when one is in progress). */
  prune(): Promise<number> {
    if (this.#o.days === 0 || this.#running) return Promise.resolve(0);
    const cutoff = new Date(this.#o.clock.now().getTime() - this.#o.days * DAY_MS);
    this.#running = this.#o.store.audit
      .pruneBefore(cutoff)
      .then(
        (n) => {
          if (n > 0) this.#o.log(`audit: deleted ${n} entries older than ${this.#o.days} days`);
          return n;
        },
        (e: unknown) => {
          this.#o.log(`audit: pruning failed (will retry): ${describeCause(e)}`);
          return 0;
        },
      )
      .finally(() => {
        this.#running = undefined;
      });
    return this.#running;
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    await this.#running;
  }
}
