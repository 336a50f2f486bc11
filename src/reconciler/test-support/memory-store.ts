import { transition as nextStatus } from '../../core/cluster-state.js';
import type { Clock, ClusterPatch, Pki } from '../../core/ports.js';
import type { EventLine } from '../../core/reconcile-events.js';
import type { Cluster, ClusterNode, ClusterPki } from '../../core/types.js';
import type { ReconcilerStore } from '../reconciler-io.js';

/** Key material the fake PKI issues (the reconciler only passes it on to the engine). */
export const FAKE_PKI: ClusterPki = Object.freeze({
  caCert: 'ca',
  caKey: 'ca-key',
  serverCert: 'server',
  serverKey: 'server-key',
  clientCert: 'client',
  clientKey: 'client-key',
  clientSerial: '01',
});

/** A PKI that issues FAKE_PKI and counts the clusters it issued for. */
export function fakePki(issued: string[] = []): Pki {
  return {
    createClusterPki: (subject) => Promise.resolve((issued.push(subject.clusterId), FAKE_PKI)),
    issueClientCert: () => Promise.resolve({ clientCert: 'client2', clientKey: 'client2-key', clientSerial: '02' }),
  };
}

/**
 * The reconciler's part of the store, in memory, held to the same rules as the real one: status
 * changes go through the state machine, the status reason is cleared outside `error`, and a
 * transition stamps `updatedAt`.
 */
export class MemoryStore implements ReconcilerStore {
  readonly #clusters = new Map<string, Cluster>();
  readonly #events = new Map<string, EventLine[]>();
  readonly #pki = new Map<string, ClusterPki>();
  readonly #nodes = new Map<string, readonly ClusterNode[]>();
  #kicks: string[] = [];
  readonly #clock: Clock;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Adds a cluster (status `new`, one node, with key material unless `pki: false`). */
  add(over: Partial<Cluster> & { readonly id: string }, options: { pki?: boolean } = {}): Cluster {
    const now = this.#clock.now();
    const cluster: Cluster = { accountId: 'a1', accountName: 'alice', name: over.id, flavor: 'container1-4G', nodeCount: 1, autoscale: false, status: 'new', statusReason: null, port: 23760, failures: 0, createdAt: now, updatedAt: now, ...over };
    this.#clusters.set(cluster.id, cluster);
    if (options.pki !== false) this.#pki.set(cluster.id, FAKE_PKI);
    return cluster;
  }

  /** The cluster's record as stored now. */
  get(id: string): Cluster | undefined {
    return this.#clusters.get(id);
  }

  /** The cluster's event log. */
  eventsOf(id: string): EventLine[] {
    return [...(this.#events.get(id) ?? [])];
  }

  /** The node rows last written for the cluster. */
  nodesOf(id: string): readonly ClusterNode[] {
    return this.#nodes.get(id) ?? [];
  }

  /** A standby replica asks for the cluster to be worked on. */
  requestKick(id: string): void {
    this.#kicks.push(id);
  }

  readonly clusters: ReconcilerStore['clusters'] = {
    getById: (id) => Promise.resolve(this.#clusters.get(id)),
    listIds: (filter) => Promise.resolve([...this.#clusters.values()].filter((c) => c.status !== filter?.except).map((c) => c.id)),
    transition: (id, trigger, patch = {}) => {
      const cluster = this.#found(id);
      const result = nextStatus(cluster.status, trigger);
      if (!result.ok) return Promise.resolve({ ok: false, reason: result.reason, cluster });
      const statusReason = patch.statusReason !== undefined ? patch.statusReason : result.status === 'error' ? cluster.statusReason : null;
      const next = this.#patch(id, { ...patch, statusReason }, { status: result.status, updatedAt: this.#clock.now() });
      return Promise.resolve({ ok: true, cluster: next, from: cluster.status });
    },
    update: (id, patch) => Promise.resolve(this.#patch(id, patch)),
    delete: (id) => {
      for (const map of [this.#clusters, this.#events, this.#pki, this.#nodes]) map.delete(id);
      return Promise.resolve();
    },
    getPki: (id) => Promise.resolve(this.#pki.get(id)),
    putPki: (id, pki) => Promise.resolve(void this.#pki.set(id, pki)),
    replaceNodes: (id, nodes) => Promise.resolve(void this.#nodes.set(id, nodes)),
  };

  readonly events: ReconcilerStore['events'] = {
    append: (clusterId, type, message) => {
      const log = this.#events.get(clusterId) ?? [];
      this.#events.set(clusterId, [...log, { type, message }]);
      return Promise.resolve({ id: log.length + 1, clusterId, at: this.#clock.now(), type, message });
    },
  };

  readonly kicks: ReconcilerStore['kicks'] = {
    take: () => {
      const taken = this.#kicks;
      this.#kicks = [];
      return Promise.resolve(taken);
    },
  };

  /** Placed nodes by cluster id (tests place them; none: local). */
  readonly placements = new Map<string, { index: number; host: string; standIn?: boolean }[]>();

  /** Ids of warm shells in the store (their objects are not orphans). */
  readonly shellIds: string[] = [];

  readonly warmShells: NonNullable<ReconcilerStore['warmShells']> = {
    list: () => Promise.resolve(this.shellIds.map((id) => ({ id, flavor: 'container1-4G', nodeCount: 1, port: 23761, ready: true, createdAt: this.#clock.now() }))),
  };

  readonly hosts: ReconcilerStore['hosts'] = {
    placementsOf: (clusterId) => Promise.resolve((this.placements.get(clusterId) ?? []).map((p) => ({ clusterId, ...p }))),
    unplace: (clusterId, indexes) => {
      this.placements.set(clusterId, (this.placements.get(clusterId) ?? []).filter((p) => !indexes.includes(p.index)));
      return Promise.resolve();
    },
  };

  #found(id: string): Cluster {
    const c = this.#clusters.get(id);
    if (!c) throw new Error(`cluster ${id} not found`);
    return c;
  }

  #patch(id: string, patch: ClusterPatch, more: Partial<Cluster> = {}): Cluster {
    const defined = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
    const next = { ...this.#found(id), ...defined, ...more };
    this.#clusters.set(id, next);
    return next;
  }
}
