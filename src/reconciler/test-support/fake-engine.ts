import type { ClusterUsage } from '../../core/autoscale.js';
import type { ObservedCluster, ObservedSwarmMember, SwarmState } from '../../core/planner.js';
import type { ClusterEngine, EngineCluster, ShellToBuild } from '../../core/ports.js';
import { nodeHostname } from '../../core/node-hostname.js';
import type { NodeRole } from '../../core/types.js';

/** A node container on the fake host engine. */
export interface FakeContainer {
  running: boolean;
  engineUp: boolean;
  procStale: boolean;
  /** The name its engine reports; unset: its cluster's (`nodeHostname`), as a node created for the cluster has. */
  hostname?: string;
}

/** What a node keeps on its volume: its swarm state and images survive its container. */
export interface FakeVolume {
  swarm: SwarmState;
  swarmNodeId: string | null;
  hasWorkloadImage: boolean;
}

/** Everything of one cluster on the fake engine; tests change it to simulate drift. */
export interface FakeCluster {
  network: boolean;
  readonly containers: Map<number, FakeContainer>;
  readonly volumes: Map<number, FakeVolume>;
  /** The swarm as its manager knows it (kept on the manager's volume). */
  readonly members: Map<string, { -readonly [K in keyof ObservedSwarmMember]: ObservedSwarmMember[K] }>;
  swarms: number;
}

type Operation = Exclude<keyof ClusterEngine, 'watch'>;

/**
 * An in-memory `ClusterEngine` for the reconciler's unit tests: clusters of node containers whose
 * engines answer at once and whose swarm members are Ready as soon as they join. It records each
 * call (`createNode 1 worker`), fails the calls a test queues, and fails everything while `hostUp` is false.
 */
export class FakeEngine implements ClusterEngine {
  /** Every call but observe and available, in order, as `operation arg…`. */
  readonly calls: string[] = [];
  /** Whether the host engine answers. */
  hostUp = true;
  readonly #clusters = new Map<string, FakeCluster>();
  readonly #failures = new Map<Operation, Error[]>();
  readonly #watchers = new Set<(clusterId: string) => void>();
  readonly #paused = new Map<Operation, Promise<void>>();

  /** The cluster's objects (created empty on first use). */
  cluster(id: string): FakeCluster {
    let c = this.#clusters.get(id);
    if (!c) this.#clusters.set(id, (c = { network: false, containers: new Map(), volumes: new Map(), members: new Map(), swarms: 0 }));
    return c;
  }

  /** Makes the next `times` calls of `operation` throw `error`. */
  failNext(operation: Operation, error: Error, times = 1): void {
    this.#failures.set(operation, [...(this.#failures.get(operation) ?? []), ...Array.from({ length: times }, () => error)]);
  }

  /** Holds every call of `operation` (once recorded) until the returned function is called. */
  pause(operation: Operation): () => void {
    let release = () => undefined as void;
    this.#paused.set(operation, new Promise<void>((resolve) => (release = resolve)));
    return () => {
      this.#paused.delete(operation);
      release();
    };
  }

  /** Tells the watchers that a node container of `clusterId` changed (as a die or destroy event does). */
  emit(clusterId: string): void {
    for (const w of this.#watchers) w(clusterId);
  }

  #call(operation: Operation, ...args: readonly (string | number)[]): void {
    if (operation !== 'observe' && operation !== 'available') this.calls.push([operation, ...args].join(' '));
    if (!this.hostUp) throw new Error('connect ENOENT /var/run/docker.sock');
    const queued = this.#failures.get(operation);
    const error = queued?.shift();
    if (error) throw error;
  }

  #volume(c: FakeCluster, index: number): FakeVolume {
    let v = c.volumes.get(index);
    if (!v) c.volumes.set(index, (v = { swarm: 'inactive', swarmNodeId: null, hasWorkloadImage: false }));
    return v;
  }

  prepare = (): Promise<void> => this.#run(() => this.#call('prepare'));

  observe = (t: EngineCluster): Promise<ObservedCluster> =>
    this.#run(() => {
      this.#call('observe', t.id);
      const c = this.cluster(t.id);
      const nodes = [...c.containers].map(([index, n]) => {
        const v = this.#volume(c, index);
        const up = n.running && n.engineUp;
        const address = `10.0.0.${index + 2}`;
        const hostname = up ? (n.hostname ?? nodeHostname(t.name, index)) : null;
        return { index, containerId: `fake-${t.id}-n${index}`, running: n.running, engineUp: up, swarm: up ? v.swarm : null, swarmNodeId: up ? v.swarmNodeId : null, hasWorkloadImage: v.hasWorkloadImage, procStale: n.procStale, address, hostname };
      });
      const manager = nodes.find((n) => n.index === 0);
      const members = manager?.engineUp && manager.swarm === 'active' ? [...c.members.values()].map((m) => ({ ...m })) : null;
      return { networkExists: c.network, nodes, volumes: [...c.volumes.keys()], members, membersFrom: members ? 0 : null };
    });

  createNetwork = (t: EngineCluster) => this.#act('createNetwork', t, [], (c) => void (c.network = true));
  /** A warm shell: its network and unnamed nodes, engines up, workload image loaded, swarm formed (node 0 its manager). */
  buildShell = (s: ShellToBuild) =>
    this.#act('buildShell', s, [s.id, s.nodeCount], (c) => {
      c.network = true;
      const swarm = ++c.swarms;
      c.members.clear();
      for (let index = 0; index < s.nodeCount; index++) {
        const id = index === 0 ? `m0-swarm${swarm}` : `w${index}-swarm${swarm}`;
        Object.assign(this.#volume(c, index), { hasWorkloadImage: true, swarm: 'active', swarmNodeId: id });
        c.containers.set(index, { running: true, engineUp: true, procStale: false, hostname: `node-${index}` });
        c.members.set(id, { id, ready: true, role: index === 0 ? 'manager' : 'worker', availability: 'active', tasks: 0 });
      }
    });
  nameNode = (t: EngineCluster, index: number) => this.#act('nameNode', t, [index], (c) => this.#container(c, index, { hostname: nodeHostname(t.name, index) }));
  removeNetwork = (t: EngineCluster) => this.#act('removeNetwork', t, [], (c) => void (c.network = false));
  createNode = (t: EngineCluster, index: number, role: NodeRole) =>
    this.#act('createNode', t, [index, role], (c) => {
      this.#volume(c, index);
      c.containers.set(index, { running: true, engineUp: true, procStale: false });
    });
  startNode = (t: EngineCluster, index: number) => this.#act('startNode', t, [index], (c) => this.#container(c, index, { running: true, engineUp: true }));
  restartNode = (t: EngineCluster, index: number) => this.#act('restartNode', t, [index], (c) => this.#container(c, index, { procStale: false }));
  removeNode = (t: EngineCluster, index: number) => this.#act('removeNode', t, [index], (c) => void c.containers.delete(index));
  removeVolume = (t: EngineCluster, index: number) => this.#act('removeVolume', t, [index], (c) => void c.volumes.delete(index));
  loadWorkloadImage = (t: EngineCluster, index: number) => this.#act('loadWorkloadImage', t, [index], (c) => void (this.#volume(c, index).hasWorkloadImage = true));
  swarmInit = (t: EngineCluster) =>
    this.#act('swarmInit', t, [], (c) => {
      const id = `m0-swarm${++c.swarms}`;
      Object.assign(this.#volume(c, 0), { swarm: 'active', swarmNodeId: id });
      c.members.clear();
      c.members.set(id, { id, ready: true, role: 'manager', availability: 'active', tasks: 0 });
    });
  forceNewCluster = (t: EngineCluster, via: number) =>
    this.#act('forceNewCluster', t, [via], (c) => {
      // The survivor's raft alone: the other members stay listed as they were (Docker shows them down).
      const own = this.#volume(c, via).swarmNodeId;
      for (const m of c.members.values()) if (m.id !== own) m.ready = false;
    });
  swarmJoin = (t: EngineCluster, index: number, role: NodeRole) =>
    this.#act('swarmJoin', t, [index], (c) => {
      const id = `w${index}-swarm${c.swarms}`;
      Object.assign(this.#volume(c, index), { swarm: 'active', swarmNodeId: id });
      c.members.set(id, { id, ready: true, role, availability: 'active', tasks: 0 });
    });
  setRole = (t: EngineCluster, index: number, memberId: string, role: NodeRole) =>
    this.#act('setRole', t, [index, role], (c) => {
      const m = c.members.get(memberId);
      if (m) m.role = role;
    });
  removeSwarmMember = (t: EngineCluster, memberId: string) => this.#act('removeSwarmMember', t, [memberId], (c) => void c.members.delete(memberId));
  drainNode = (t: EngineCluster, memberId: string) =>
    this.#act('drainNode', t, [memberId], (c) => {
      const m = c.members.get(memberId);
      if (m) m.availability = 'drain';
    });
  decommissionNode = (t: EngineCluster, index: number, memberId: string) =>
    this.#act('decommissionNode', t, [index, memberId], (c) => {
      c.members.delete(memberId);
      c.containers.delete(index);
      c.volumes.delete(index);
    });

  listClusterIds = (): Promise<string[]> =>
    this.#run(() => {
      this.#call('listClusterIds');
      return [...this.#clusters].filter(([, c]) => c.network || c.containers.size > 0 || c.volumes.size > 0).map(([id]) => id);
    });
  available = (): Promise<boolean> => Promise.resolve(this.hostUp);
  purgeCluster = (clusterId: string): Promise<void> => this.#run(() => void (this.#call('purgeCluster', clusterId), this.#clusters.delete(clusterId)));
  usage = (t: EngineCluster): Promise<ClusterUsage> => this.#run(() => (this.#call('usage', t.id), { nodes: [] }));

  watch(onChange: (clusterId: string) => void): { close(): void } {
    this.#watchers.add(onChange);
    return { close: () => void this.#watchers.delete(onChange) };
  }

  #container(c: FakeCluster, index: number, change: Partial<FakeContainer>): void {
    const n = c.containers.get(index);
    if (!n) throw new Error(`no such container: node ${index}`);
    Object.assign(n, change);
  }

  async #act(operation: Operation, t: Pick<EngineCluster, 'id'>, args: readonly (string | number)[], change: (c: FakeCluster) => void): Promise<void> {
    this.#call(operation, ...args);
    await this.#paused.get(operation);
    change(this.cluster(t.id));
  }

  /** Runs `body` as an engine call would: its throw becomes a rejection. */
  #run<T>(body: () => T): Promise<T> {
    try {
      return Promise.resolve(body());
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
  }
}
