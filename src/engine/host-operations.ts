import type Dockerode from 'dockerode';
import { EngineError } from '../core/errors.js';
import type { EngineCluster, HostEngines } from '../core/ports.js';
import { guard, ignore404, statusOf, updateMember } from './engine-calls.js';
import type { HostFleet } from './host-fleet.js';
import { LABEL, names } from './labels.js';
import { nodeKey, type NodeWhereabouts } from './node-whereabouts.js';

/** A swarm member as the engine's node inspect shows it (the fields read here). */
type SwarmMember = { Version: { Index: number }; Status?: { State?: string }; Spec: Record<string, unknown> & { Availability?: string; Role?: string } };

/** What HostOperations found of a node: its engine and swarm id when they answer, and its member as a manager lists it. */
interface Found {
  readonly inner: Dockerode | undefined;
  readonly nodeId: string | undefined;
  readonly manager: Dockerode | undefined;
  readonly member: SwarmMember | undefined;
}

/** What finding a cluster's nodes takes: its id and where they are placed. */
export type NodesOf = Pick<EngineCluster, 'id' | 'hosts'>;

/** What the host operations use of the engine that owns the nodes (DockerEngine). */
export interface HostOperationsDeps {
  readonly fleet: () => HostFleet;
  readonly where: NodeWhereabouts;
  /** Label value that marks this control plane's objects. */
  readonly instance: string;
  /** A cluster's placed nodes (host name by node index), from the store. */
  readonly placementsOf?: ((clusterId: string) => Promise<ReadonlyMap<number, string>>) | undefined;
  /** The engine that runs node `index`'s container (its host's). */
  readonly siteOf: (c: NodesOf, index: number) => Promise<Dockerode>;
  /** Node `index`'s own engine (`quick`: a client that gives up after a few seconds). */
  readonly inner: (c: NodesOf, index: number, quick?: boolean) => Promise<Dockerode>;
  readonly removeVolume: (c: NodesOf, index: number) => Promise<void>;
  /** The node image (on every host that holds a node): host probes run from it. */
  readonly nodeImage: () => Promise<string>;
}

/** The `HostEngines` port on registered Docker hosts: what the host monitor does to hosts that go, come back or drain. */
export class HostOperations implements HostEngines {
  readonly #d: HostOperationsDeps;

  constructor(deps: HostOperationsDeps) {
    this.#d = Object.freeze({ ...deps });
  }

  /** Whether a registered host's engine answers within a few seconds. */
  answers(name: string): Promise<boolean> {
    return this.#d.fleet().answers(name);
  }

  /** Takes a silent host out of the hosts' swarm (see HostEngines.retire). */
  async retire(name: string): Promise<void> {
    await this.#d.fleet().retire(name);
    this.#d.where.forgetHost(name);
  }

  /** Fills the hosts' swarm's empty manager seats (see HostEngines.fillManagerSeats). */
  async fillManagerSeats(): Promise<void> {
    await this.#d.fleet().fillManagerSeats(await this.#d.nodeImage());
  }

  /**
   * One step of taking node `index` of a cluster off its host gently, for a draining host: drained in
   * the cluster's swarm (its tasks move to other nodes), then — once no task runs there — out of the
   * swarm, its container and volume removed. `waiting` until the tasks have moved; `done` when the node
   * is gone from its host (then it can be placed elsewhere). Each step is idempotent.
   */
  async evacuate(clusterId: string, index: number): Promise<'done' | 'waiting'> {
    const operation = `move node ${index} off its host`;
    const found = await this.#find(clusterId, index, operation);
    if (found === undefined) {
      await this.#d.removeVolume(await this.#nodesOf(clusterId), index);
      return 'done';
    }
    const { inner, nodeId, manager, member } = found;
    if (inner && nodeId && manager) {
      if (member && member.Spec.Availability !== 'drain') {
        await guard(operation, () => updateMember(manager, nodeId, { Availability: 'drain' }));
        return 'waiting';
      }
      if (member) {
        const tasks = (await guard(operation, () => manager.listTasks({ filters: { node: [nodeId], 'desired-state': ['running'] } }))) as { Status?: { State?: string } }[];
        if (tasks.some((t) => t.Status?.State === 'running')) return 'waiting';
      }
      // A manager seat (of a cluster with 3) is demoted through another manager, then leaves at once:
      // the other two keep the quorum, and its replacement joins into the seat on its new host.
      const manages = member?.Spec.Role === 'manager';
      if (manages) await guard(operation, () => updateMember(manager, nodeId, { Role: 'worker' }));
      await inner.swarmLeave({ force: manages }).catch(() => undefined); // not a member any more: fine
      await ignore404(() => manager.getNode(nodeId).remove({ force: true }));
    }
    // The container stays until the node is placed elsewhere (clear): removed before, a pass of the
    // reconciler would see the node missing from the host it is still placed on and create it there again.
    return 'done';
  }

  /**
   * Whether node `index` runs on the host it is placed on and is a Ready member of its cluster's swarm,
   * open to tasks (see HostEngines.joined): what a drain waits for before a node goes.
   */
  async joined(clusterId: string, index: number): Promise<boolean> {
    // A node or manager that cannot be reached now (being re-created, its host slow) has not joined yet.
    const found = await this.#find(clusterId, index, `look at node ${index}`).catch(() => undefined);
    return found?.member?.Status?.State === 'ready' && found.member.Spec.Availability === 'active';
  }

  async #nodesOf(clusterId: string): Promise<NodesOf> {
    return { id: clusterId, hosts: (await this.#d.placementsOf?.(clusterId)) ?? new Map<number, string>() };
  }

  /**
   * Node `index`'s container on the host it is placed on (undefined when there is none), its engine and
   * swarm id when they answer, and its member as another manager of the swarm lists it.
   */
  async #find(clusterId: string, index: number, operation: string): Promise<Found | undefined> {
    const c = await this.#nodesOf(clusterId);
    const docker = await this.#d.siteOf(c, index);
    const info = await guard(operation, () => docker.getContainer(names.container(clusterId, index)).inspect()).catch((e: unknown) => {
      if (e instanceof EngineError && statusOf(e.cause) === 404) return undefined;
      throw e;
    });
    if (info === undefined) return undefined;
    const inner = info.State.Running ? await this.#d.inner(c, index, true).catch(() => undefined) : undefined;
    const nodeId = inner ? ((await inner.info().catch(() => ({}))) as { Swarm?: { NodeID?: string } }).Swarm?.NodeID : undefined;
    if (!inner || !nodeId) return { inner, nodeId: undefined, manager: undefined, member: undefined };
    // Through another manager than the node itself (a node that manages is demoted through it): the
    // last one known to answer, else the first of the seats that can be reached (one may be re-created now).
    const seats = [...new Set([this.#d.where.manager(clusterId), 0, 1, 2])].filter((i) => i !== index && c.hosts?.has(i));
    let manager: Dockerode | undefined;
    for (const via of seats.length > 0 ? seats : [0]) {
      manager = await this.#d.inner(c, via).catch(() => undefined);
      if (manager) break;
    }
    if (!manager) throw new EngineError(operation, new Error(`no manager of the cluster's swarm can be reached (nodes ${seats.join(', ')})`));
    const member = (await manager.getNode(nodeId).inspect().catch(() => undefined)) as SwarmMember | undefined;
    return { inner, nodeId, manager, member };
  }

  /** Clears a returning host of this control plane's nodes and volumes, then joins it to the hosts' swarm again (see HostEngines.readmit). */
  async readmit(name: string, keep: readonly { readonly clusterId: string; readonly index: number }[]): Promise<void> {
    await this.clear(name, keep);
    await this.#d.fleet().rejoin(name);
  }

  /** Removes this control plane's node containers and volumes from a host, but those of `keep` (see HostEngines.clear). */
  async clear(name: string, keep: readonly { readonly clusterId: string; readonly index: number }[]): Promise<void> {
    const { docker } = await this.#d.fleet().host(name);
    const filters = { label: [`${LABEL.instance}=${this.#d.instance}`] };
    const kept = new Set(keep.map((k) => nodeKey(k.clusterId, k.index)));
    const stale = (labels: Record<string, string> | undefined) => !kept.has(nodeKey(labels?.[LABEL.clusterId] ?? '', Number(labels?.[LABEL.nodeIndex])));
    await guard(`clear host ${name}`, async () => {
      for (const c of await docker.listContainers({ all: true, filters })) if (stale(c.Labels)) await ignore404(() => docker.getContainer(c.Id).remove({ force: true, v: true }));
      for (const v of (await docker.listVolumes({ filters })).Volumes ?? []) if (stale(v.Labels)) await ignore404(() => docker.getVolume(v.Name).remove());
    });
    this.#d.where.forgetHost(name, kept);
  }
}
