import { setTimeout as sleep } from 'node:timers/promises';
import type { ClusterUsage } from '../core/autoscale.js';
import { describeCause, isFenced } from '../core/errors.js';
import { collectsOrphans, isOrphan } from '../core/orphans.js';
import { REPAIR_WAIT_MS } from '../core/reconcile-decision.js';
import { NO_TELEMETRY, type Telemetry } from '../core/telemetry.js';
import type { Cluster } from '../core/types.js';
import { Converger } from './converger.js';
import { engineTarget } from './engine-target.js';
import type { ReconcilerIo } from './reconciler-io.js';

/** The reconciler's IO (a `sleep` other than the real one is for tests) and its timings. */
export interface ReconcilerOptions extends Omit<ReconcilerIo, 'sleep' | 'telemetry'> {
  readonly sleep?: ReconcilerIo['sleep'];
  /** Metrics of engine calls and operations (none by default). */
  readonly telemetry?: Telemetry;
  /** How often every cluster is looked at even without a kick. */
  readonly intervalMs: number;
  /** How often the clusters that standby replicas changed are taken from the store (default 250 ms). */
  readonly kickPollMs?: number;
  /** Failed attempts of one step before a cluster goes to `error`. */
  readonly maxFailures: number;
  /** Clusters a periodic pass works on at once (default PASS_CONCURRENCY); kicks do not wait for them. */
  readonly passConcurrency?: number;
  /** How long a cluster may wait for something (a node to be Ready…) before it goes to `error`. */
  readonly stallTimeoutMs: number;
  /** How long an existing cluster's manager must report no swarm before the swarm is re-formed. */
  readonly swarmLossGraceMs: number;
  /**
   * A step or write was fenced (CARINA_ERR_FENCED): this replica may lead no more. Leadership checks
   * its lease at once and stands down (or starts a new tenure); not awaited, since standing down
   * stops this reconciler and waits for its workers.
   */
  readonly onFenced?: () => Promise<void>;
}

/**
 * Clusters a periodic pass observes at once. Each costs a few store reads and about ten engine calls
 * (the host's containers, volumes and network; each node's engine; the swarm's members): with
 * thousands of clusters, all at once every interval would be a burst the API and the engines queue
 * behind. The rest of a pass waits its turn; a pass still running when the next one is due takes no
 * cluster twice.
 */
export const PASS_CONCURRENCY = 8;

/**
 * The control loop's scheduler: each cluster is worked on by at most one worker (a `Converger` pass)
 * at a time, kicked by API writes, engine events, standby replicas' kicks and a periodic pass, which
 * also removes orphans. Everything it needs to resume after a crash is in the store and in engine labels.
 */
export class Reconciler {
  readonly #o: ReconcilerOptions;
  readonly #io: ReconcilerIo;
  readonly #converger: Converger;
  readonly #workers = new Map<string, Promise<void>>();
  readonly #again = new Set<string>();
  /** Clusters the periodic pass has yet to work on, in order (a kick takes one out and starts it at once). */
  readonly #pass = new Set<string>();
  /** Workers the periodic pass started that have not yet observed their cluster. */
  #passWorkers = 0;
  #timer: NodeJS.Timeout | undefined;
  #kickTimer: NodeJS.Timeout | undefined;
  #takingKicks = false;
  #watch: { close(): void } | undefined;
  #stopped = false;
  #passes = 0;

  constructor(options: ReconcilerOptions) {
    this.#o = Object.freeze({ ...options });
    this.#io = Object.freeze({ ...options, sleep: options.sleep ?? ((ms: number) => sleep(ms)), telemetry: options.telemetry ?? NO_TELEMETRY });
    const timings = { stallTimeoutMs: options.stallTimeoutMs, swarmLossGraceMs: options.swarmLossGraceMs, repairWaitMs: REPAIR_WAIT_MS };
    this.#converger = new Converger(this.#io, { timings, maxFailures: options.maxFailures });
  }

  /** Starts the periodic loop (and an immediate pass). */
  start(): void {
    this.#stopped = false;
    void this.tick();
    this.#timer = setInterval(() => void this.tick(), this.#o.intervalMs);
    this.#timer.unref();
    this.#kickTimer = setInterval(() => void this.takeKicks(), this.#o.kickPollMs ?? 250);
    this.#kickTimer.unref();
    this.#watch = this.#o.engine.watch((clusterId) => this.kick(clusterId));
  }

  /** Works at once on the clusters standby replicas changed (their API writes cannot kick us directly). */
  async takeKicks(): Promise<void> {
    if (this.#takingKicks) return;
    this.#takingKicks = true;
    try {
      for (const id of await this.#o.store.kicks.take()) this.kick(id);
    } catch (e) {
      this.#o.log(`reconciler: reading kicks failed: ${describeCause(e)}`);
    } finally {
      this.#takingKicks = false;
    }
  }

  /** Stops scheduling and waits for the workers in flight. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    if (this.#kickTimer) clearInterval(this.#kickTimer);
    this.#watch?.close();
    this.#pass.clear();
    await Promise.allSettled([...this.#workers.values()]);
  }

  /** Schedules a cluster now (API writes, engine events, standby replicas' kicks): ahead of the periodic pass. */
  kick(clusterId: string): void {
    if (this.#stopped) return;
    this.#pass.delete(clusterId);
    if (this.#workers.has(clusterId)) {
      this.#again.add(clusterId);
      return;
    }
    this.#start(clusterId);
  }

  /** Starts a worker on the cluster; `observed` is called once, after its first observation or when it ends. */
  #start(clusterId: string, observed?: () => void): void {
    let told = false;
    const tell = () => {
      if (!told && observed) observed();
      told = true;
    };
    const worker = this.#work(clusterId, tell).finally(() => {
      this.#workers.delete(clusterId);
      tell();
      if (this.#again.delete(clusterId)) this.kick(clusterId);
    });
    this.#workers.set(clusterId, worker);
  }

  /**
   * Starts the periodic pass's next clusters while fewer than `passConcurrency` of its workers are
   * observing. A worker gives its place back once it has observed its cluster: the observation is the
   * burst the bound is for, and a cluster that then waits (a node to be Ready, for minutes perhaps) must
   * not hold the pass up for every other.
   */
  #pump(): void {
    const limit = this.#o.passConcurrency ?? PASS_CONCURRENCY;
    for (const id of this.#pass) {
      if (this.#stopped || this.#passWorkers >= limit) return;
      this.#pass.delete(id);
      if (this.#workers.has(id)) continue; // already being worked on: that worker sees the cluster as it is now
      this.#passWorkers++;
      this.#start(id, () => {
        this.#passWorkers--;
        this.#pump();
      });
    }
  }

  /** Waits until no worker is busy and the periodic pass is through (tests and shutdown). */
  async idle(): Promise<void> {
    while (this.#workers.size > 0) await Promise.allSettled([...this.#workers.values()]);
  }

  /**
   * One periodic pass: every cluster that isn't in error, `passConcurrency` at a time, plus orphan
   * collection now and then.
   */
  async tick(): Promise<void> {
    try {
      if (this.#stopped) return;
      for (const id of await this.#o.store.clusters.listIds({ except: 'error' })) if (!this.#workers.has(id)) this.#pass.add(id);
      this.#pump();
      if (collectsOrphans(this.#passes++)) await this.#collectOrphans();
    } catch (e) {
      if (isFenced(e)) this.#standDown(e);
      else this.#o.log(`reconciler: periodic pass failed: ${describeCause(e)}`);
    }
  }

  async #collectOrphans(): Promise<void> {
    const onEngine = await this.#o.engine.listClusterIds();
    if (onEngine.length === 0) return;
    // Shells before clusters: a create that takes a shell turns its row into a cluster's in one
    // transaction, so read in this order the id is in one list or the other, never in neither.
    const shells = (await this.#o.store.warmShells?.list()) ?? [];
    const known = new Set([...shells.map((s) => s.id), ...(await this.#o.store.clusters.listIds())]);
    for (const id of onEngine) {
      if (!isOrphan(id, known, this.#workers)) continue;
      await this.#io.checkLease();
      this.#o.log(`reconciler: removing objects of unknown cluster ${id}`, { clusterId: id });
      await this.#o.engine.purgeCluster(id);
    }
  }

  async #work(clusterId: string, onObserved?: () => void): Promise<void> {
    try {
      await this.#converger.converge(clusterId, () => this.#stopped, onObserved);
    } catch (e) {
      if (isFenced(e)) this.#standDown(e, clusterId);
      // Store or programming errors: logged, retried on the next tick.
      else this.#o.log(`reconciler: cluster ${clusterId}: ${describeCause(e)}`, { clusterId, level: 'error' });
    }
  }

  /** Fenced: stop this work (nothing of it is recorded) and let leadership find out where the lease is. */
  #standDown(e: unknown, clusterId?: string): void {
    this.#o.log(`reconciler: ${clusterId ? `cluster ${clusterId}: ` : ''}stopped: ${describeCause(e)}`, clusterId ? { clusterId, level: 'warn' } : { level: 'warn' });
    // Still the leader after the check (a late renewal, not a lost lease)? The next periodic pass goes on
    // with the cluster: kicking it again here could spin if the lease stayed doubtful.
    void this.#o.onFenced?.().catch((err: unknown) => this.#o.log(`reconciler: lease check failed: ${describeCause(err)}`));
  }

  /** Reservations (and optionally measured use) of a cluster's nodes. */
  async usage(cluster: Cluster, options: { withStats: boolean }): Promise<ClusterUsage> {
    return this.#o.engine.usage(await engineTarget(this.#io, cluster), options);
  }
}
