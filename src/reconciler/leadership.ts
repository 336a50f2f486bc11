import { describeCause } from '../core/errors.js';
import type { Clock, Fence, Lease, LeaseRepository } from '../core/ports.js';

/** The lease that says which replica drives the engine. */
export const CONTROL_PLANE_LEASE = 'control-plane';

export interface LeadershipOptions {
  readonly leases: LeaseRepository;
  readonly holder: string;
  readonly ttlMs: number;
  readonly clock: Clock;
  readonly log: (line: string) => void;
  /** Starts what only the leader runs (reconciler, autoscaler, gateways). */
  readonly onElected: () => Promise<void>;
  /** Stops it again; awaited before the lease is given up or can expire. */
  readonly onDeposed: () => Promise<void>;
  /** How often the lease is taken or renewed (default a third of its length). */
  readonly renewEveryMs?: number;
  /**
   * When the store stops answering, instead of standing down: stop what changes clusters (the
   * reconciler, the autoscaler) and keep serving what needs no store (gateways with the keys they
   * hold). Without it, a leader that cannot renew stands down.
   */
  readonly onSuspended?: () => Promise<void>;
  /** The store answers again and the lease is still this replica's: start what onSuspended stopped. */
  readonly onResumed?: () => Promise<void>;
}

export type Role = 'leader' | 'standby';

/**
 * Which of the replicas sharing a store drives the engine: the holder of the control-plane lease.
 * Every replica serves the API; the leader alone reconciles clusters, autoscales them and serves
 * their gateways. A standby tries to take the lease every `renewEveryMs` and succeeds once the
 * leader's has expired (it crashed) or was released (it shut down cleanly).
 *
 * A leader that cannot renew (the store does not answer) stops leading once two thirds of the
 * lease have passed since its last renewal — before anyone else can take it.
 *
 * A leader that was paused (SIGSTOP, a VM frozen) past its lease must not finish, once it runs again,
 * what it started under the old one: `fence` (the lease's generation of this tenure) goes with every
 * store write made for the leader and the store refuses it once the lease changed hands or expired;
 * `stillLeads` answers locally, before each engine step, whether the lease could have been taken.
 */
export class Leadership {
  readonly #o: LeadershipOptions;
  #role: Role = 'standby';
  #renewedAt = 0;
  /** The lease's generation this tenure began with (the fencing token). */
  #generation = 0;
  #timer: NodeJS.Timeout | undefined;
  #pass: Promise<void> = Promise.resolve();
  #stopped = false;
  #suspended = false;

  constructor(options: LeadershipOptions) {
    this.#o = Object.freeze({ ...options });
  }

  get role(): Role {
    return this.#role;
  }

  /**
   * Whether this replica may still act as the leader at `now`: it leads, is not suspended, and less
   * than two thirds of the lease have passed since its last renewal (so nobody else can have taken
   * it). Local, no round trip: a process resumed after a pause sees at once that time went by.
   */
  stillLeads(now: Date): boolean {
    return this.#role === 'leader' && !this.#suspended && now.getTime() - this.#renewedAt < (this.#o.ttlMs * 2) / 3;
  }

  /** What the leader's store writes carry while `stillLeads` (else undefined: they are refused at once). */
  get fence(): Fence | undefined {
    if (!this.stillLeads(this.#o.clock.now())) return undefined;
    return { lease: CONTROL_PLANE_LEASE, holder: this.#o.holder, generation: this.#generation };
  }

  /** Makes a first attempt (so a sole or restarted replica leads at once), then keeps trying. */
  async start(): Promise<void> {
    this.#stopped = false;
    await this.check();
    this.#timer = setInterval(() => void this.check(), this.#o.renewEveryMs ?? Math.floor(this.#o.ttlMs / 3));
    this.#timer.unref();
  }

  /** One attempt to take or renew the lease (passes never overlap). */
  check(): Promise<void> {
    this.#pass = this.#pass.then(() => this.#check());
    return this.#pass;
  }

  /** Stops leading (if it did) and gives the lease up, so a standby takes over without waiting. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    await this.#pass;
    if (this.#role === 'leader') {
      await this.#depose('shutting down');
      await this.#o.leases.release(CONTROL_PLANE_LEASE, this.#o.holder).catch((e: unknown) => {
        this.#o.log(`leadership: could not release the lease (it expires in ${this.#o.ttlMs / 1000} s): ${describeCause(e)}`);
      });
    }
  }

  async #check(): Promise<void> {
    if (this.#stopped) return;
    const now = this.#o.clock.now();
    let held: Lease | undefined;
    try {
      held = await this.#o.leases.acquire(CONTROL_PLANE_LEASE, this.#o.holder, now, this.#o.ttlMs);
    } catch (e) {
      if (this.#role === 'leader' && now.getTime() - this.#renewedAt >= (this.#o.ttlMs * 2) / 3) {
        const why = `the lease could not be renewed for ${((now.getTime() - this.#renewedAt) / 1000).toFixed(1)} s (${describeCause(e)})`;
        if (!this.#o.onSuspended) await this.#depose(why);
        else if (!this.#suspended) {
          // Before anyone else could take the lease: nothing of this replica changes clusters from here.
          this.#suspended = true;
          this.#o.log(`leadership: ${this.#o.holder} suspends reconciling: ${why}; gateways keep serving`);
          await this.#o.onSuspended();
        }
      } else {
        this.#o.log(`leadership: lease check failed: ${describeCause(e)}`);
      }
      return;
    }
    if (held) {
      if (this.#role === 'leader' && held.generation !== this.#generation) {
        // The lease lapsed and was taken again (by us; someone else may have led in between): a new tenure.
        const why = `its lease lapsed and a new tenure begins (generation ${this.#generation} → ${held.generation})`;
        if (this.#suspended) this.#o.log(`leadership: ${this.#o.holder}: ${why}`); // nothing of the old tenure runs: resumed below
        else await this.#depose(`${why}: what it started under the old one is fenced off`);
      }
      this.#generation = held.generation;
      this.#renewedAt = now.getTime();
      if (this.#suspended && this.#role === 'leader') {
        this.#suspended = false;
        this.#o.log(`leadership: ${this.#o.holder} resumes: the store answers and the lease is still its own`);
        await this.#o.onResumed?.();
      }
      if (this.#role === 'standby' && !this.#stopped) {
        this.#role = 'leader';
        this.#o.log(`leadership: ${this.#o.holder} leads: it reconciles clusters and serves their gateways`);
        try {
          await this.#o.onElected();
        } catch (e) {
          // Still the holder: the next pass tries again.
          await this.#depose(`starting to lead failed: ${describeCause(e)}`);
        }
      }
    } else if (this.#role === 'leader') {
      await this.#depose('another replica holds the lease');
    }
  }

  async #depose(why: string): Promise<void> {
    this.#role = 'standby';
    this.#suspended = false;
    this.#o.log(`leadership: ${this.#o.holder} stands by: ${why}`);
    await this.#o.onDeposed();
  }
}
