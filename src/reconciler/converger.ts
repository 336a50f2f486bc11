import { describeCause, isFenced } from '../core/errors.js';
import { nodeRecords } from '../core/node-records.js';
import { managerSeats, type ObservedCluster } from '../core/planner.js';
import type { EngineCluster } from '../core/ports.js';
import { decide, progressed, startMemory, type ReconcileMemory, type ReconcileTimings } from '../core/reconcile-decision.js';
import { buildingEvent, repairEvent, type EventLine } from '../core/reconcile-events.js';
import { decideFailure } from '../core/reconcile-failure.js';
import { about } from '../core/log.js';
import type { Cluster } from '../core/types.js';
import { applyAction } from './apply-action.js';
import { engineTarget } from './engine-target.js';
import type { ReconcilerIo } from './reconciler-io.js';

/** How often a cluster that waits on something (a node to be Ready…) is observed again. */
const WAIT_POLL_MS = 100;

/**
 * Works on one cluster at a time: observe, ask the pure `decide`, apply the batch it returns, until
 * the cluster converged, waits on its user, or failed. What it applies and the words it records come
 * from core; here are only the order of the IO and what must outlive one worker.
 */
export class Converger {
  readonly #io: ReconcilerIo;
  readonly #timings: ReconcileTimings;
  readonly #maxFailures: number;
  /** Since when each cluster's manager has reported no swarm (outlives a worker: a pass may end meanwhile). */
  readonly #swarmLostAt = new Map<string, number>();
  /** The node rows last written per cluster, so an unchanged observation writes nothing. */
  readonly #nodesWritten = new Map<string, string>();

  constructor(io: ReconcilerIo, policy: { readonly timings: ReconcileTimings; readonly maxFailures: number }) {
    this.#io = io;
    this.#timings = policy.timings;
    this.#maxFailures = policy.maxFailures;
  }

  /**
   * Works on `clusterId` until it needs nothing more for now; `stopped` ends the work between steps.
   * `onObserved` is called after each observation of the engine (whatever it found).
   */
  async converge(clusterId: string, stopped: () => boolean, onObserved?: () => void): Promise<void> {
    const { store, engine } = this.#io;
    let memory = startMemory(this.#now(), this.#swarmLostAt.get(clusterId) ?? null);
    while (!stopped()) {
      let cluster = await store.clusters.getById(clusterId);
      if (!cluster || cluster.status === 'error') return;
      if (cluster.status === 'new') {
        const t = await store.clusters.transition(cluster.id, 'start');
        if (!t.ok) return;
        cluster = t.cluster;
        await this.#event(cluster, buildingEvent(cluster.nodeCount));
      }
      const target = await engineTarget(this.#io, cluster);
      let observed: ObservedCluster;
      const observing = this.#now();
      try {
        observed = await engine.observe(target);
      } catch (e) {
        onObserved?.();
        if (await this.#failed(cluster, e, target)) return;
        continue;
      }
      onObserved?.();
      await this.#recordNodes(cluster, observed);
      const desired = { status: cluster.status, nodeCount: cluster.nodeCount, managers: managerSeats(cluster.nodeCount, target.hosts), name: cluster.name, standIns: target.standIns ?? [] };
      const decision = decide(desired, observed, this.#now(), memory, this.#timings);
      memory = this.#remember(cluster.id, decision.memory);
      if (decision.repair !== null) cluster = await this.#repair(cluster, decision.repair);
      const step = decision.step;
      if (step.kind === 'done') {
        await this.#succeeded(cluster);
        return;
      }
      if (step.kind === 'fail') {
        await this.#fail(cluster, step.reason);
        return;
      }
      if (step.kind === 'wait') {
        await this.#io.sleep(WAIT_POLL_MS);
        continue;
      }
      const current = cluster;
      const applying = this.#now();
      const results = await Promise.allSettled(step.actions.map((a) => applyAction(this.#io, current, target, a)));
      const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      this.#io.log(`reconciler: ${cluster.accountName}/${cluster.name}: observed in ${applying - observing} ms, applied ${step.actions.map((a) => ('index' in a ? `${a.type} ${a.index}` : a.type)).join(', ')} in ${this.#now() - applying} ms${rejected.length ? ` (${rejected.length} failed)` : ''}`, { ...about(cluster), level: 'debug' });
      const failure = rejected.find((r) => isFenced(r.reason)) ?? rejected[0];
      if (failure) {
        if (await this.#failed(cluster, failure.reason, target)) return;
        continue;
      }
      memory = progressed(memory, this.#now());
      const deleted = step.actions.some((a) => a.type === 'finalizeDelete');
      if (deleted) this.#nodesWritten.delete(cluster.id);
      await this.#succeeded(cluster);
      if (deleted) return;
    }
  }

  #now(): number {
    return this.#io.clock.now().getTime();
  }

  #remember(clusterId: string, memory: ReconcileMemory): ReconcileMemory {
    if (memory.swarmLostAt === null) this.#swarmLostAt.delete(clusterId);
    else this.#swarmLostAt.set(clusterId, memory.swarmLostAt);
    return memory;
  }

  async #event(cluster: Cluster, e: EventLine): Promise<void> {
    await this.#io.store.events.append(cluster.id, e.type, e.message);
  }

  /** An active cluster drifted: it becomes `rebuilding`, and its log and ours say why. */
  async #repair(cluster: Cluster, why: string): Promise<Cluster> {
    const t = await this.#io.store.clusters.transition(cluster.id, 'repair');
    if (!t.ok) return cluster;
    await this.#event(cluster, repairEvent(why));
    this.#io.log(`reconciler: cluster ${cluster.accountName}/${cluster.name} repairing: ${why}`, about(cluster));
    return t.cluster;
  }

  /** A step succeeded: the count of failed attempts starts again. */
  async #succeeded(cluster: Cluster): Promise<void> {
    if (cluster.failures > 0) await this.#io.store.clusters.update(cluster.id, { failures: 0 });
  }

  /**
   * Records a failed attempt as `decideFailure` says; true when the worker should stop (error, or the
   * engine is down). A fenced step is no failure of the cluster: this replica leads no more, and the
   * error goes up untouched (nothing recorded, nothing counted) for the reconciler to stand down.
   */
  async #failed(cluster: Cluster, cause: unknown, target: EngineCluster): Promise<boolean> {
    if (isFenced(cause)) throw cause;
    const { store, engine, log, sleep } = this.#io;
    const engineAvailable = await engine.available(target);
    const fresh = engineAvailable ? ((await store.clusters.getById(cluster.id)) ?? cluster) : cluster;
    const next = decideFailure({ status: cluster.status, failures: fresh.failures, engineAvailable, cause: describeCause(cause) }, this.#maxFailures);
    if (next.kind === 'engineDown') {
      log(`reconciler: ${next.log}`, { ...about(cluster), level: 'warn' });
      await sleep(next.pauseMs);
      return true;
    }
    await this.#event(cluster, next.event);
    if (next.kind === 'fail') {
      await this.#fail(cluster, next.reason);
      return true;
    }
    await store.clusters.update(cluster.id, { failures: next.failures });
    await sleep(next.backoffMs);
    return false;
  }

  async #fail(cluster: Cluster, reason: string): Promise<void> {
    const t = await this.#io.store.clusters.transition(cluster.id, 'fail', { statusReason: reason, failures: 0 });
    if (t.ok) await this.#event(cluster, { type: 'error', message: reason });
    this.#io.log(`reconciler: cluster ${cluster.accountName}/${cluster.name} in error: ${reason}`, { ...about(cluster), level: 'warn' });
  }

  async #recordNodes(cluster: Cluster, observed: ObservedCluster): Promise<void> {
    const nodes = nodeRecords(cluster, observed);
    if (nodes === null) return;
    const key = JSON.stringify(nodes);
    if (this.#nodesWritten.get(cluster.id) === key) return;
    await this.#io.store.clusters.replaceNodes(cluster.id, nodes);
    this.#nodesWritten.set(cluster.id, key);
  }
}
