import { setTimeout as sleep } from 'node:timers/promises';
import { describeCause } from '../core/errors.js';
import { findFlavor } from '../core/flavors.js';
import { plan, type Action, type ObservedCluster, type Plan } from '../core/planner.js';
import type { ClusterUsage } from '../core/autoscale.js';
import type { Clock, ClusterEngine, EngineCluster, Pki, Store } from '../core/ports.js';
import type { Cluster, ClusterNode } from '../core/types.js';
import { roleOf } from '../core/types.js';

export interface ReconcilerOptions {
  readonly store: Store;
  readonly engine: ClusterEngine;
  readonly pki: Pki;
  readonly clock: Clock;
  readonly log: (line: string) => void;
  /** Stable DNS names for a cluster's endpoint certificate. */
  readonly dnsNames: (cluster: Cluster) => string[];
  /** Addresses the endpoint is advertised on (go into the server certificate). */
  readonly ipAddresses: readonly string[];
  /** How often every cluster is looked at even without a kick. */
  readonly intervalMs: number;
  /** How often the clusters that standby replicas changed are taken from the store (default 250 ms). */
  readonly kickPollMs?: number;
  /** Failed attempts of one step before a cluster goes to `error`. */
  readonly maxFailures: number;
  /** How long a cluster may wait for something (a node to be Ready…) before it goes to `error`. */
  readonly stallTimeoutMs: number;
  /** How long an existing cluster's manager must report no swarm before the swarm is re-formed. */
  readonly swarmLossGraceMs: number;
}

/** How long an active cluster may wait on something before it counts as drifted. */
const REPAIR_WAIT_MS = 5_000;

/** A cluster still being built has never had a swarm: initialising one loses nothing. */
function formsFirstSwarm(cluster: Cluster): boolean {
  return cluster.status === 'new' || cluster.status === 'building';
}

/** Human words for the repair actions an active cluster needs. */
export function describeRepair(actions: readonly Action[]): string {
  const words = actions.map((a) => {
    switch (a.type) {
      case 'createNode':
        return `node ${a.index} is missing, re-creating it`;
      case 'startNode':
        return `node ${a.index} stopped, restarting it`;
      case 'restartNode':
        return `node ${a.index} reports no memory (its /proc files from lxcfs went stale), restarting it`;
      case 'swarmJoin':
        return `node ${a.index} is not in the swarm, re-joining it`;
      case 'swarmInit':
        return 'the manager left the swarm, re-forming it';
      case 'removeSwarmMember':
        return `removing stale swarm member ${a.memberId}`;
      case 'removeNode':
        return `removing surplus node ${a.index}`;
      case 'createNetwork':
        return 'the cluster network is missing, re-creating it';
      case 'loadWorkloadImage':
        return `loading carina/busybox into node ${a.index}`;
      default:
        return a.type;
    }
  });
  return words.join('; ');
}

/**
 * The control loop: for each cluster, observe the engine, compute the next step with the pure
 * planner, apply it, repeat until converged. Clusters are worked on in parallel, each by at most
 * one worker; everything it needs to resume after a crash is in the store and in engine labels.
 */
export class Reconciler {
  readonly #o: ReconcilerOptions;
  readonly #workers = new Map<string, Promise<void>>();
  readonly #again = new Set<string>();
  readonly #nodesWritten = new Map<string, string>();
  readonly #managerInactiveSince = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;
  #kickTimer: NodeJS.Timeout | undefined;
  #takingKicks = false;
  #watch: { close(): void } | undefined;
  #stopped = false;
  #ticks = 0;

  constructor(options: ReconcilerOptions) {
    this.#o = Object.freeze({ ...options });
  }

  /** Starts the periodic loop (and an immediate pass). */
  start(): void {
    this.#stopped = false;
    void this.tick();
    this.#timer = setInterval(() => void this.tick(), this.#o.intervalMs);
    this.#timer.unref();
    this.#kickTimer = setInterval(() => void this.#takeKicks(), this.#o.kickPollMs ?? 250);
    this.#kickTimer.unref();
    this.#watch = this.#o.engine.watch((clusterId) => this.kick(clusterId));
  }

  /** Works at once on the clusters standby replicas changed (their API writes cannot kick us directly). */
  async #takeKicks(): Promise<void> {
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
    await Promise.allSettled([...this.#workers.values()]);
  }

  /** Schedules a cluster now (API writes call this). */
  kick(clusterId: string): void {
    if (this.#stopped) return;
    if (this.#workers.has(clusterId)) {
      this.#again.add(clusterId);
      return;
    }
    const worker = this.#work(clusterId).finally(() => {
      this.#workers.delete(clusterId);
      if (this.#again.delete(clusterId)) this.kick(clusterId);
    });
    this.#workers.set(clusterId, worker);
  }

  /** Waits until no worker is busy (tests and shutdown). */
  async idle(): Promise<void> {
    while (this.#workers.size > 0) await Promise.allSettled([...this.#workers.values()]);
  }

  /** One periodic pass: every cluster that isn't in error, plus orphan collection now and then. */
  async tick(): Promise<void> {
    try {
      const clusters = await this.#o.store.clusters.listAll();
      for (const c of clusters) if (c.status !== 'error') this.kick(c.id);
      if (this.#ticks++ % 6 === 0) await this.#collectOrphans();
    } catch (e) {
      this.#o.log(`reconciler: periodic pass failed: ${describeCause(e)}`);
    }
  }

  async #collectOrphans(): Promise<void> {
    const onEngine = await this.#o.engine.listClusterIds();
    if (onEngine.length === 0) return;
    const known = new Set((await this.#o.store.clusters.listAll()).map((c) => c.id));
    for (const id of onEngine) {
      if (known.has(id) || this.#workers.has(id)) continue;
      this.#o.log(`reconciler: removing objects of unknown cluster ${id}`);
      await this.#o.engine.purgeCluster(id);
    }
  }

  async #work(clusterId: string): Promise<void> {
    try {
      await this.#converge(clusterId);
    } catch (e) {
      // Store or programming errors: logged, retried on the next tick.
      this.#o.log(`reconciler: cluster ${clusterId}: ${describeCause(e)}`);
    }
  }

  async #converge(clusterId: string): Promise<void> {
    const { store } = this.#o;
    let lastProgress = Date.now();
    let lastWait = '';
    while (!this.#stopped) {
      let cluster = await store.clusters.getById(clusterId);
      if (!cluster || cluster.status === 'error') return;
      if (cluster.status === 'new') {
        const t = await store.clusters.transition(cluster.id, 'start');
        if (!t.ok) return;
        cluster = t.cluster;
        await store.events.append(cluster.id, 'building', `building ${cluster.nodeCount} node(s)`);
      }
      const target = await this.#engineCluster(cluster);
      let observed: ObservedCluster;
      try {
        observed = await this.#o.engine.observe(target);
      } catch (e) {
        if (await this.#failed(cluster, e)) return;
        continue;
      }
      await this.#recordNodes(cluster, observed);
      let next = plan({ status: cluster.status, nodeCount: cluster.nodeCount }, observed);
      next = this.#holdSwarmInit(cluster, next);
      if (cluster.status === 'active' && next.kind !== 'done') {
        // Drift of an active cluster (a node died, was removed, left the swarm): say so, then repair.
        if (next.kind === 'act' || Date.now() - lastProgress > REPAIR_WAIT_MS) {
          const why = next.kind === 'act' ? describeRepair(next.actions) : `waiting for ${next.reason}`;
          const t = await store.clusters.transition(cluster.id, 'repair');
          if (t.ok) {
            await store.events.append(cluster.id, 'repair', `repairing: ${why}`);
            this.#o.log(`reconciler: cluster ${cluster.accountName}/${cluster.name} repairing: ${why}`);
            cluster = t.cluster;
          }
        }
      }
      if (next.kind === 'done') {
        if (cluster.failures > 0) await store.clusters.update(cluster.id, { failures: 0 });
        return;
      }
      if (next.kind === 'wait') {
        if (next.reason !== lastWait) {
          lastWait = next.reason;
          lastProgress = Date.now();
        }
        if (Date.now() - lastProgress > this.#o.stallTimeoutMs) {
          const secs = Math.round(this.#o.stallTimeoutMs / 1000);
          await this.#fail(cluster, `gave up after waiting ${secs} s for ${next.reason}; rebuild the cluster to retry, or delete it`);
          return;
        }
        await sleep(100);
        continue;
      }
      const results = await Promise.allSettled(next.actions.map((a) => this.#apply(cluster, target, a)));
      const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failure) {
        if (await this.#failed(cluster, failure.reason)) return;
        continue;
      }
      lastProgress = Date.now();
      lastWait = '';
      if (cluster.failures > 0) await store.clusters.update(cluster.id, { failures: 0 });
      if (next.actions.some((a) => a.type === 'finalizeDelete')) return;
    }
  }

  /**
   * Re-forming a swarm loses its services, so a manager of an existing cluster that reports no swarm
   * must do so for a while (it does briefly while its engine shuts down) before the swarm is re-formed.
   */
  #holdSwarmInit(cluster: Cluster, next: Plan): Plan {
    const wantsInit = next.kind === 'act' && next.actions.some((a) => a.type === 'swarmInit');
    if (!wantsInit) {
      this.#managerInactiveSince.delete(cluster.id);
      return next;
    }
    if (formsFirstSwarm(cluster)) return next;
    const since = this.#managerInactiveSince.get(cluster.id) ?? Date.now();
    this.#managerInactiveSince.set(cluster.id, since);
    if (Date.now() - since >= this.#o.swarmLossGraceMs) return next;
    return { kind: 'wait', reason: 'the manager to report its swarm again' };
  }

  /** Records a failed attempt; returns true when the cluster went to `error` (stop working on it). */
  async #failed(cluster: Cluster, cause: unknown): Promise<boolean> {
    if (!(await this.#o.engine.available())) {
      // The host engine itself is down or restarting: not this cluster's fault; try again later.
      this.#o.log(`reconciler: the host engine does not answer (${describeCause(cause)}); waiting for it`);
      await sleep(1_000);
      return true;
    }
    const fresh = (await this.#o.store.clusters.getById(cluster.id)) ?? cluster;
    const failures = fresh.failures + 1;
    const message = describeCause(cause);
    await this.#o.store.events.append(cluster.id, 'retry', `attempt ${failures} of ${this.#o.maxFailures} failed: ${message}`);
    if (failures >= this.#o.maxFailures) {
      const what = cluster.status === 'deleting' ? 'delete' : 'build';
      await this.#fail(cluster, `${message} (failed ${failures} times); ${what === 'delete' ? 'delete it again to retry' : 'rebuild the cluster to retry, or delete it'}`);
      return true;
    }
    await this.#o.store.clusters.update(cluster.id, { failures });
    await sleep(Math.min(500 * 2 ** (failures - 1), 8_000));
    return false;
  }

  async #fail(cluster: Cluster, reason: string): Promise<void> {
    const t = await this.#o.store.clusters.transition(cluster.id, 'fail', { statusReason: reason, failures: 0 });
    if (t.ok) await this.#o.store.events.append(cluster.id, 'error', reason);
    this.#o.log(`reconciler: cluster ${cluster.accountName}/${cluster.name} in error: ${reason}`);
  }

  async #apply(cluster: Cluster, target: EngineCluster, action: Action): Promise<void> {
    const { engine, store } = this.#o;
    const ev = (type: string, message: string) => store.events.append(cluster.id, type, message);
    switch (action.type) {
      case 'createNetwork':
        return engine.createNetwork(target);
      case 'createNode':
        await engine.createNode(target, action.index, action.role);
        await ev('node', `node ${action.index} (${action.role}) started`);
        return;
      case 'startNode':
        await engine.startNode(target, action.index);
        await ev('node', `node ${action.index} restarted`);
        return;
      case 'restartNode':
        await engine.restartNode(target, action.index);
        await ev('node', `node ${action.index} restarted: its /proc files answer again`);
        return;
      case 'removeNode':
        await engine.removeNode(target, action.index);
        if (cluster.status !== 'deleting') await ev('node', `node ${action.index} removed`);
        return;
      case 'removeVolume':
        return engine.removeVolume(target, action.index);
      case 'removeNetwork':
        return engine.removeNetwork(target);
      case 'loadWorkloadImage':
        return engine.loadWorkloadImage(target, action.index);
      case 'swarmInit':
        await engine.swarmInit(target);
        await ev(
          'swarm',
          formsFirstSwarm(cluster)
            ? 'swarm initialised on node 0'
            : 'swarm re-formed on node 0: the manager had left its swarm, so services and networks of the old swarm are gone and must be deployed again',
        );
        return;
      case 'swarmJoin':
        await engine.swarmJoin(target, action.index);
        await ev('swarm', `node ${action.index} joined the swarm`);
        return;
      case 'removeSwarmMember':
        await engine.removeSwarmMember(target, action.memberId);
        await ev('swarm', `removed stale swarm member ${action.memberId}`);
        return;
      case 'drainNode':
        await engine.drainNode(target, action.memberId);
        await ev('node', `node ${action.index} draining: its tasks move to other nodes`);
        return;
      case 'decommissionNode':
        await engine.decommissionNode(target, action.index, action.memberId);
        await ev('node', `node ${action.index} left the swarm and was removed`);
        return;
      case 'markActive': {
        const t = await store.clusters.transition(cluster.id, 'ready');
        if (t.ok && t.from !== 'active') {
          const secs = ((this.#o.clock.now().getTime() - cluster.updatedAt.getTime()) / 1000).toFixed(1);
          await ev('active', `cluster active with ${cluster.nodeCount} Ready node(s) (${t.from} took ${secs} s)`);
        }
        return;
      }
      case 'finalizeDelete':
        await store.clusters.delete(cluster.id);
        this.#nodesWritten.delete(cluster.id);
        this.#o.log(`reconciler: cluster ${cluster.accountName}/${cluster.name} deleted`);
        return;
    }
  }

  /** Reservations (and optionally measured use) of a cluster's nodes. */
  async usage(cluster: Cluster, options: { withStats: boolean }): Promise<ClusterUsage> {
    return this.#o.engine.usage(await this.#engineCluster(cluster), options);
  }

  async #engineCluster(cluster: Cluster): Promise<EngineCluster> {
    const flavor = findFlavor(cluster.flavor);
    if (!flavor) throw new Error(`unknown flavor ${cluster.flavor}`);
    let pki = await this.#o.store.clusters.getPki(cluster.id);
    if (!pki) {
      pki = await this.#o.pki.createClusterPki({
        clusterId: cluster.id,
        clusterName: cluster.name,
        accountName: cluster.accountName,
        dnsNames: this.#o.dnsNames(cluster),
        ipAddresses: this.#o.ipAddresses,
      });
      await this.#o.store.clusters.putPki(cluster.id, pki);
    }
    return { id: cluster.id, name: cluster.name, accountName: cluster.accountName, flavor, port: cluster.port, pki };
  }

  async #recordNodes(cluster: Cluster, observed: ObservedCluster): Promise<void> {
    if (cluster.status === 'deleting') return;
    const ready = new Set((observed.members ?? []).filter((m) => m.ready).map((m) => m.id));
    const nodes: ClusterNode[] = observed.nodes.map((n) => ({
      clusterId: cluster.id,
      index: n.index,
      role: roleOf(n.index),
      containerId: n.containerId,
      address: n.address,
      status: !n.running ? 'stopped' : n.swarmNodeId && ready.has(n.swarmNodeId) ? 'ready' : n.engineUp ? 'joining' : 'starting',
    }));
    const key = JSON.stringify(nodes);
    if (this.#nodesWritten.get(cluster.id) === key) return;
    await this.#o.store.clusters.replaceNodes(cluster.id, nodes);
    this.#nodesWritten.set(cluster.id, key);
  }
}
