import { decideAutoscale, type ClusterUsage } from '../core/autoscale.js';
import type { Scheduler } from '../core/cluster-service.js';
import { describeCause } from '../core/errors.js';
import { findFlavor } from '../core/flavors.js';
import type { Clock, Store } from '../core/ports.js';
import { NO_TELEMETRY, type Telemetry } from '../core/telemetry.js';
import type { Cluster } from '../core/types.js';
import { about, type Log } from '../core/log.js';

export interface AutoscalerOptions {
  /** The leader's (fenced) clusters and events, and the accounts for their quotas. */
  readonly store: Pick<Store, 'clusters' | 'events' | 'accounts'>;
  readonly scheduler: Scheduler;
  readonly usageOf: (cluster: Cluster) => Promise<ClusterUsage>;
  readonly clock: Clock;
  readonly log: Log;
  readonly intervalMs: number;
  /** Pause after a grown cluster is active again before the next grow. */
  readonly cooldownMs: number;
  /** Where each pass's decisions are counted (metrics; none by default). */
  readonly telemetry?: Telemetry;
}

interface ClusterMemory {
  /** We grew it and haven't seen it active since. */
  growing: boolean;
  blockedUntil: number;
  last: 'none' | 'quota' | 'grow';
}

/**
 * Every interval, for each active cluster with autoscale on: measure reservations, ask the pure
 * policy, grow by one node when it says so. Events only when something changes (a grow, or the
 * quota newly blocking one), so an idle cluster's log stays quiet.
 */
export class Autoscaler {
  readonly #o: AutoscalerOptions;
  readonly #telemetry: Telemetry;
  readonly #memory = new Map<string, ClusterMemory>();
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;

  constructor(options: AutoscalerOptions) {
    this.#o = Object.freeze({ ...options });
    this.#telemetry = options.telemetry ?? NO_TELEMETRY;
  }

  start(): void {
    this.#timer = setInterval(() => {
      // A pass that fails (the store out before leadership suspends us) is logged: unhandled, it ended the process.
      this.#running ??= this.tick()
        .catch((e: unknown) => this.#o.log(`autoscaler: pass failed: ${describeCause(e)}`, { level: 'warn' }))
        .finally(() => (this.#running = undefined));
    }, this.#o.intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    await this.#running;
  }

  /** One pass over every autoscaled cluster. */
  async tick(): Promise<void> {
    const clusters = await this.#o.store.clusters.listAutoscaled();
    const known = new Set(clusters.map((c) => c.id));
    for (const id of this.#memory.keys()) if (!known.has(id)) this.#memory.delete(id);
    await Promise.all(clusters.map((c) => this.#consider(c).catch((e: unknown) => this.#o.log(`autoscaler: ${c.name}: ${describeCause(e)}`, { ...about(c), level: 'warn' }))));
  }

  async #consider(cluster: Cluster): Promise<void> {
    const memory = this.#memory.get(cluster.id) ?? { growing: false, blockedUntil: 0, last: 'none' };
    this.#memory.set(cluster.id, memory);
    if (cluster.status !== 'active') return;
    const now = this.#o.clock.now().getTime();
    if (memory.growing) {
      // The node we added is Ready (the cluster is active again): cool down from then.
      memory.growing = false;
      memory.blockedUntil = cluster.updatedAt.getTime() + this.#o.cooldownMs;
    }
    if (now < memory.blockedUntil) {
      this.#telemetry.autoscaleDecision('cooldown');
      return;
    }
    const flavor = findFlavor(cluster.flavor);
    const account = await this.#o.store.accounts.findById(cluster.accountId);
    if (!flavor || !account) return;
    const usage = await this.#o.usageOf(cluster);
    const decision = decideAutoscale({ nodeCount: cluster.nodeCount, flavor, usage, maxNodes: account.quotaNodes });
    this.#telemetry.autoscaleDecision(decision.kind);
    if (decision.kind === 'grow') {
      const outcome = await this.#o.store.clusters.grow(cluster.id, decision.to - cluster.nodeCount, account.quotaNodes);
      if (!outcome.ok) return;
      memory.growing = true;
      await this.#o.store.events.append(cluster.id, 'autoscale', decision.message);
      this.#o.log(`autoscaler: ${cluster.accountName}/${cluster.name}: ${decision.message}`, about(cluster));
      this.#o.scheduler.kick(cluster.id);
    } else if (decision.kind === 'quota' && memory.last !== 'quota') {
      await this.#o.store.events.append(cluster.id, 'autoscale', decision.message);
    }
    memory.last = decision.kind;
  }
}
