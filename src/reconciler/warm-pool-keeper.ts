import { describeCause, isFenced } from '../core/errors.js';
import { findFlavor } from '../core/flavors.js';
import type { Log } from '../core/log.js';
import type { Clock, ClusterEngine, HostRepository, WarmShell, WarmShellRepository } from '../core/ports.js';
import { planPool, type ShellSpec } from '../core/warm-pool.js';

/** How long after a create took a shell the refill waits (see `taken`). */
export const REFILL_DELAY_MS = 1_500;

/** Below this much available memory on the engine's machine the pool holds nothing (its idle nodes go first). */
export const LOW_MEMORY_BYTES = 1024 ** 3;

/** Inputs of WarmPoolKeeper. */
export interface WarmPoolKeeperOptions {
  readonly shells: WarmShellRepository;
  /** With registered hosts the pool stays empty (their nodes are placed per cluster). */
  readonly hosts: Pick<HostRepository, 'list'>;
  readonly engine: Pick<ClusterEngine, 'buildShell' | 'purgeCluster'>;
  /** The shells to keep (CARINA_WARM_POOL); none: the keeper only removes what an earlier setting left. */
  readonly wanted: readonly ShellSpec[];
  /** Where shells take their port from: the clusters' range (a shell's port becomes its cluster's). */
  readonly portRange: { readonly from: number; readonly to: number };
  readonly newId: () => string;
  readonly clock: Clock;
  readonly log: Log;
  /** Before each engine step and reservation: throws CARINA_ERR_FENCED unless this replica still leads. */
  readonly checkLease: () => Promise<void>;
  /** Memory available on the machine that runs the nodes (MemAvailable), when it is this one; undefined: not known. */
  readonly availableMemory?: () => number | undefined;
  /** How often the pool is looked at even without a poke (default 2 s). */
  readonly intervalMs?: number;
  /** After a failed pass, the next waits this long (default 30 s), so a broken engine is not hammered. */
  readonly retryAfterMs?: number;
}

/**
 * Keeps the warm pool full on the leader (docs/warm-pool.md): reserves and builds the shells
 * CARINA_WARM_POOL asks for, one at a time, and removes those no longer wanted or never finished —
 * all of them while hosts are registered or the machine runs short of memory (the pool goes first).
 * Everything it needs to resume after a crash is in the store (the shell rows) and in engine labels:
 * a shell's row is written before its objects and deleted before they are removed, so the orphan
 * sweep never mistakes a shell for an orphan and removes what a crash left of a released one.
 */
export class WarmPoolKeeper {
  readonly #o: WarmPoolKeeperOptions;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #pausedUntil = 0;
  #quietUntil = 0;
  #stopped = false;

  constructor(options: WarmPoolKeeperOptions) {
    this.#o = Object.freeze({ ...options });
  }

  start(): void {
    this.#stopped = false;
    this.poke();
    this.#timer = setInterval(() => this.poke(), this.#o.intervalMs ?? 2_000);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    await this.#running;
  }

  /**
   * A create just took a shell: the refill starts after REFILL_DELAY_MS, not at once. Building a
   * shell is the heaviest thing the control plane does (node containers and their engines starting),
   * and meanwhile the cluster that took the shell is being named and marked active: on two cores the
   * refill made that 0.2 s longer (BENCHMARKS.md, creates from the warm pool).
   */
  taken(): void {
    this.#quietUntil = this.#o.clock.now().getTime() + REFILL_DELAY_MS;
    setTimeout(() => this.poke(), REFILL_DELAY_MS).unref();
  }

  /** Looks at the pool soon; one pass at a time. */
  poke(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = this.pass().finally(() => {
      this.#running = undefined;
      if (this.#again) {
        this.#again = false;
        this.poke();
      }
    });
  }

  /** One pass: release what is not wanted, then reserve and build what is missing. Never throws. */
  async pass(): Promise<void> {
    const now = this.#o.clock.now().getTime();
    if (now < this.#pausedUntil || now < this.#quietUntil) return;
    try {
      const hosted = (await this.#o.hosts.list()).length > 0;
      const available = this.#o.availableMemory?.();
      const short = available !== undefined && available < LOW_MEMORY_BYTES;
      const wanted = hosted || short ? [] : this.#o.wanted;
      const shells = await this.#o.shells.list();
      if (wanted.length === 0 && shells.length === 0) return;
      const plan = planPool(wanted, shells, now);
      const why = (shell: WarmShell) =>
        hosted ? 'hosts are registered' : short ? `the machine runs short of memory (${Math.round((available ?? 0) / 1024 ** 2)} MiB available)` : shell.ready ? 'not wanted any more' : 'its build did not finish';
      for (const shell of plan.release) await this.#release(shell, why(shell));
      for (const shell of plan.build) if (!this.#stopped) await this.#build(shell);
      for (const spec of plan.reserve) {
        if (this.#stopped) return;
        await this.#o.checkLease();
        await this.#build(await this.#o.shells.reserve({ id: this.#o.newId(), ...spec }, this.#o.portRange));
      }
    } catch (e) {
      const retryMs = this.#o.retryAfterMs ?? 30_000;
      this.#pausedUntil = this.#o.clock.now().getTime() + retryMs;
      if (isFenced(e)) this.#o.log(`warm pool: stopped: ${describeCause(e)}`, { level: 'warn' });
      else this.#o.log(`warm pool: ${describeCause(e)} (tried again in ${Math.round(retryMs / 1000)} s)`, { level: 'warn' });
    }
  }

  async #build(shell: WarmShell): Promise<void> {
    const flavor = findFlavor(shell.flavor);
    if (!flavor) throw new Error(`shell ${shell.id} has unknown flavor ${shell.flavor}`);
    const started = this.#o.clock.now().getTime();
    await this.#o.checkLease();
    await this.#o.engine.buildShell({ id: shell.id, flavor, port: shell.port, nodeCount: shell.nodeCount });
    if (await this.#o.shells.markReady(shell.id)) {
      const seconds = ((this.#o.clock.now().getTime() - started) / 1000).toFixed(1);
      this.#o.log(`warm pool: shell ${shell.id} (${shell.nodeCount} × ${shell.flavor}, port ${shell.port}) ready in ${seconds} s`, { clusterId: shell.id });
    }
  }

  /** The row goes first: a create cannot take the shell any more, and a crash leaves only orphans to sweep. */
  async #release(shell: WarmShell, why: string): Promise<void> {
    if (!(await this.#o.shells.release(shell.id))) return; // a create took it meanwhile
    this.#o.log(`warm pool: removing shell ${shell.id} (${shell.nodeCount} × ${shell.flavor}): ${why}`, { clusterId: shell.id });
    await this.#o.checkLease();
    await this.#o.engine.purgeCluster(shell.id);
  }
}
