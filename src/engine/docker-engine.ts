import type Dockerode from 'dockerode';
import { EngineError } from '../core/errors.js';
import type { ClusterEngine, EngineCluster, EngineNodes, ShellToBuild } from '../core/ports.js';
import type { ObservedCluster } from '../core/planner.js';
import { roleOf, type NodeRole } from '../core/types.js';
import { clusterLabels, LABEL, names } from './labels.js';
import { pingQuick } from './node-client.js';
import type { HostFleet } from './host-fleet.js';
import { publishedEnginePort } from './remote-node.js';
import { clusterSubnet } from './subnets.js';
import { NodeSites, type ManagerUpstream, type NodeEngineTls } from './node-sites.js';
import { SwarmSteps } from './swarm-steps.js';
import { NodeContainers } from './node-containers.js';
import { watchNodes } from './node-events.js';
import { collectUsage } from './usage.js';
import type { ClusterUsage } from '../core/autoscale.js';
import { observeCluster, observeInner } from './observe.js';
import { guard, ignore404, statusOf } from './engine-calls.js';
import { HostOperations, type NodesOf } from './host-operations.js';
import type { CgroupDelegation } from './cgroup-delegation.js';

export type { ManagerUpstream, NodeEngineTls } from './node-sites.js';

/** Images a node needs; built on first use. */
export interface NodeImages {
  readonly nodeImage: string;
  readonly workloadImage: string;
  readonly workloadTar: string;
}

export interface DockerEngineOptions {
  /** The engine that runs node containers: Carina's userns node engine, or the host engine. */
  readonly docker: Dockerode;
  /** Set when that engine remaps users: nodes' directories and cgroups are handed to their root at every start. */
  readonly delegation?: CgroupDelegation | undefined;
  /** Where failures of background work (delegation after an event) are reported. */
  readonly log?: ((line: string) => void) | undefined;
  /** Host directory for node sockets and TLS files (bind-mounted into nodes). */
  readonly dataDir: string;
  /** Label value that marks this control plane's objects (several planes may share an engine). */
  readonly instance: string;
  /** IPv4 /16 that cluster networks are carved from (one /26 per cluster, fixed node addresses). */
  readonly nodeSubnetPool: string;
  /** Where lxcfs serves per-container /proc files (nodes then report their flavor's memory), checked at each node's creation; undefined when off. */
  readonly lxcfs?: (() => Promise<string | undefined>) | undefined;
  readonly images: () => Promise<NodeImages>;
  /** A host directory laid out as /etc/docker/certs.d (the registry's CA), bound read-only into every node so its engine trusts the registry. */
  readonly registryCerts?: string | undefined;
  /** Registered Docker hosts (issue 13): nodes placed on one run there; without, every node runs on `docker`. */
  readonly fleet?: HostFleet | undefined;
  /** Mutual TLS with node engines on hosts: what the control plane presents and trusts, and each node engine's certificate. */
  readonly nodeTls?: NodeEngineTls | undefined;
  /** A cluster's placed nodes (host name by node index), from the store: where the gateway finds a manager no pass has observed yet. */
  readonly placementsOf?: ((clusterId: string) => Promise<ReadonlyMap<number, string>>) | undefined;
  /** Wraps each client of a node's own engine (the control plane fences their changing requests, as the engines' that run nodes). */
  readonly wrapNodeClient?: ((docker: Dockerode) => Dockerode) | undefined;
}

/** The tag the workload image carries inside every node (what users `docker run`). */
const WORKLOAD_IMAGE_IN_NODE = 'carina/busybox:latest';

/** The `ClusterEngine` port on a real Docker engine through dockerode. */
export class DockerEngine implements ClusterEngine {
  readonly #o: DockerEngineOptions;
  readonly #sites: NodeSites;
  readonly #swarm: SwarmSteps;
  readonly #nodes: NodeContainers;

  /** What the host monitor does to registered hosts that go, come back or drain. */
  readonly hosts: HostOperations;

  constructor(options: DockerEngineOptions) {
    this.#o = Object.freeze({ ...options });
    this.#sites = new NodeSites(options);
    this.#nodes = new NodeContainers(this.#o, this.#sites);
    this.#swarm = new SwarmSteps(this.#sites);
    this.hosts = new HostOperations({
      fleet: () => this.#sites.fleet(),
      where: this.#sites.where,
      instance: options.instance,
      placementsOf: options.placementsOf,
      siteOf: async (c, index) => (await this.#sites.site(c, index)).docker,
      inner: (c, index, quick) => this.#sites.inner(c, index, quick),
      removeVolume: (c, index) => this.removeVolume(c, index),
      nodeImage: async () => (await this.#o.images()).nodeImage,
    });
  }

  async prepare(): Promise<void> {
    await this.#o.images();
  }

  /** The manager's engine socket on the host (what the Docker API gateway forwards to). */
  managerSocket(clusterId: string): string {
    return this.#sites.socket(clusterId, 0);
  }

  /** Where the gateway reaches a cluster's manager engine now (NodeSites.managerUpstream). */
  managerUpstream(clusterId: string): ManagerUpstream | undefined {
    return this.#sites.managerUpstream(clusterId);
  }

  /** Finds a placed cluster's manager for managerUpstream (NodeSites.locateManager). */
  locateManager(clusterId: string): Promise<void> {
    return this.#sites.locateManager(clusterId);
  }

  async observe(c: EngineCluster, withMembers = true): Promise<ObservedCluster> {
    const base = { withMembers, instance: this.#o.instance, clusterId: c.id, network: names.network(c.id), workloadImage: WORKLOAD_IMAGE_IN_NODE };
    const hosts = this.#sites.hostsOf(c);
    if (hosts.length === 0) return observeCluster({ ...base, engines: [this.#o.docker], node: (index) => this.#sites.localQuick(c.id, index) });
    const fleet = this.#sites.fleet();
    const [engines, manager] = await Promise.all([guard('observe the cluster', () => Promise.all(hosts.map((h) => fleet.host(h, true)))), fleet.manager()]);
    return this.#rememberManager(c.id, await observeCluster({
      ...base,
      engines: engines.map((e) => e.docker),
      // Swarm-scoped networks are listed by the hosts' swarm managers (a worker sees one once a container uses it).
      networks: manager?.docker,
      node: (index, info) => {
        const hostName = c.hosts?.get(index);
        const host = engines.find((e) => e.name === hostName);
        const port = publishedEnginePort(info.Ports);
        if (hostName === undefined || host === undefined || port === undefined) return undefined;
        return this.#sites.remoteQuick(c.id, index, { host: hostName, address: host.address, port });
      },
    }));
  }

  /** Keeps where a placed cluster's swarm was last managed from (the gateway forwards there). */
  #rememberManager(clusterId: string, observed: ObservedCluster): ObservedCluster {
    // The node that listed the members; else (a new raft leader not elected yet) the first that manages.
    const at = observed.membersFrom ?? observed.managing?.[0];
    if (at !== undefined) this.#sites.where.setManager(clusterId, at);
    return observed;
  }

  async createNetwork(c: EngineNodes): Promise<void> {
    const hosts = this.#sites.hostsOf(c);
    // Nodes on hosts share an attachable overlay network of the hosts' swarm; local nodes a bridge.
    const docker = hosts.length === 0 ? this.#o.docker : (await this.#sites.fleet().ensureSwarm(hosts)).docker;
    await guard('create network', async () => {
      try {
        const { subnet, gateway, dynamicRange } = clusterSubnet(this.#o.nodeSubnetPool, c.port);
        await docker.createNetwork({
          Name: names.network(c.id),
          ...(hosts.length === 0 ? { Driver: 'bridge' } : { Driver: 'overlay', Attachable: true }),
          CheckDuplicate: true,
          // An overlay allocates an address of its own on each host it reaches: from the top of the subnet, never a node's.
          IPAM: { Driver: 'default', Config: [{ Subnet: subnet, Gateway: gateway, ...(hosts.length === 0 ? {} : { IPRange: dynamicRange }) }] },
          Labels: clusterLabels(this.#o.instance, c),
        });
      } catch (e) {
        if (statusOf(e) !== 409) throw e;
      }
    });
  }

  /**
   * Builds a warm shell (docs/warm-pool.md): the network and nodes the future cluster `shell.id` will
   * have, as a create would make them but unnamed, each node's engine answering with the workload
   * image loaded. Every step is idempotent: an interrupted build is taken up again.
   */
  async buildShell(shell: ShellToBuild): Promise<void> {
    const c: EngineNodes = { id: shell.id, name: '', accountName: '', flavor: shell.flavor, port: shell.port };
    await this.createNetwork(c);
    const indexes = Array.from({ length: shell.nodeCount }, (_, index) => index);
    // Each node's swarm state, read with its image as a pass observes them.
    const states = await Promise.all(
      indexes.map(async (index) => {
        await this.#nodes.create(c, index, roleOf(index, 1));
        const node = await observeInner(await this.#nodes.engineAnswers(c, index, `start node ${index}`), WORKLOAD_IMAGE_IN_NODE);
        if (!node.engineUp) throw new EngineError(`start node ${index}`, new Error('its Docker engine stopped answering'));
        if (!node.hasWorkloadImage) await this.#nodes.loadWorkloadImage(c, index);
        return node.swarm;
      }),
    );
    // The swarm too, as the reconciler forms a local cluster's (node 0 its one manager): the cluster
    // that takes the shell has nothing left to do but name its nodes. Taken up where a crash left it.
    if (states[0] !== 'active') await this.#swarm.init(c);
    await Promise.all(indexes.slice(1).filter((index) => states[index] !== 'active' || states[0] !== 'active').map((index) => this.#swarm.join(c, index, 'worker', 0)));
  }

  nameNode(c: EngineCluster, index: number): Promise<void> {
    return this.#nodes.name(c, index);
  }

  async removeNetwork(c: EngineCluster): Promise<void> {
    const placed = this.#sites.hostsOf(c).length > 0;
    const docker = placed ? (await this.#sites.fleet().manager())?.docker : this.#o.docker;
    if (docker) await guard('remove network', () => ignore404(() => docker.getNetwork(names.network(c.id)).remove()));
    await this.#sites.removeDir(this.#sites.clusterDir(c.id));
    this.#sites.where.forget(c.id);
  }

  createNode(c: EngineCluster, index: number, role: NodeRole): Promise<void> {
    return this.#nodes.create(c, index, role);
  }

  startNode(c: EngineCluster, index: number): Promise<void> {
    return this.#nodes.start(c, index);
  }

  restartNode(c: EngineCluster, index: number): Promise<void> {
    return this.#nodes.restart(c, index);
  }

  removeNode(c: NodesOf, index: number): Promise<void> {
    return this.#nodes.remove(c, index);
  }

  removeVolume(c: NodesOf, index: number): Promise<void> {
    return this.#nodes.removeVolume(c, index);
  }

  loadWorkloadImage(c: EngineCluster, index: number): Promise<void> {
    return this.#nodes.loadWorkloadImage(c, index);
  }

  swarmInit(c: EngineCluster): Promise<void> {
    return this.#swarm.init(c);
  }

  forceNewCluster(c: EngineCluster, via: number): Promise<void> {
    return this.#swarm.forceNewCluster(c, via);
  }

  swarmJoin(c: EngineCluster, index: number, role: NodeRole, via: number): Promise<void> {
    return this.#swarm.join(c, index, role, via);
  }

  setRole(c: EngineCluster, index: number, memberId: string, role: NodeRole, via: number): Promise<void> {
    return this.#swarm.setRole(c, index, memberId, role, via);
  }

  removeSwarmMember(c: EngineCluster, memberId: string, via: number): Promise<void> {
    return this.#swarm.removeMember(c, memberId, via);
  }

  drainNode(c: EngineCluster, memberId: string, via: number): Promise<void> {
    return this.#swarm.drain(c, memberId, via);
  }

  async decommissionNode(c: EngineCluster, index: number, memberId: string, via: number): Promise<void> {
    await this.#swarm.leave(c, index, memberId, via);
    await this.removeNode(c, index);
  }

  async available(c?: EngineCluster): Promise<boolean> {
    const hosts = c ? this.#sites.hostsOf(c) : [];
    const answers = await Promise.all([pingQuick(this.#o.docker), ...hosts.map(async (h) => (await this.#o.fleet?.answers(h)) ?? false)]);
    return answers.every(Boolean);
  }

  async listClusterIds(): Promise<string[]> {
    const filters = { label: [`${LABEL.instance}=${this.#o.instance}`] };
    const list = (d: Dockerode) => Promise.all([d.listContainers({ all: true, filters }), d.listVolumes({ filters }), d.listNetworks({ filters })]);
    const [containers, volumes, networks] = await guard('list cluster objects', () => list(this.#o.docker));
    const objects = [...containers, ...(volumes.Volumes ?? []), ...networks];
    // Objects on registered hosts too; a host that does not answer is looked at on a later sweep.
    for (const host of (await this.#o.fleet?.all()) ?? []) {
      const found = await list(host.docker).catch(() => undefined);
      if (found) objects.push(...found[0], ...(found[1].Volumes ?? []), ...found[2]);
    }
    const ids = new Set<string>();
    for (const o of objects) {
      const id = o.Labels?.[LABEL.clusterId];
      if (id) ids.add(id);
    }
    return [...ids];
  }

  async usage(c: EngineCluster, options: { withStats: boolean }): Promise<ClusterUsage> {
    // Without the members listing: collectUsage lists the swarm's tasks itself, once.
    const observed = await this.observe(c, false);
    const running = observed.nodes.filter((n) => n.running && n.engineUp);
    const via = this.#sites.where.manager(c.id);
    const managerUp = running.some((n) => n.index === via && n.swarm === 'active');
    return guard('measure usage', async () =>
      collectUsage({
        nodes: await Promise.all(
          running.map(async (n) => ({
            index: n.index,
            client: await this.#sites.inner(c, n.index),
            swarmNodeId: n.swarmNodeId,
            container: (await this.#sites.site(c, n.index)).docker.getContainer(names.container(c.id, n.index)),
          })),
        ),
        manager: managerUp ? await this.#sites.inner(c, via) : undefined,
        withStats: options.withStats,
      }),
    );
  }

  watch(onChange: (clusterId: string) => void): { close(): void } {
    return watchNodes({ docker: this.#o.docker, instance: this.#o.instance, delegation: this.#o.delegation, log: this.#o.log, onChange });
  }

  async purgeCluster(clusterId: string): Promise<void> {
    const filters = { label: [`${LABEL.instance}=${this.#o.instance}`, `${LABEL.clusterId}=${clusterId}`] };
    const purge = async (d: Dockerode) => {
      for (const c of await d.listContainers({ all: true, filters })) await ignore404(() => d.getContainer(c.Id).remove({ force: true, v: true }));
      for (const v of (await d.listVolumes({ filters })).Volumes ?? []) await ignore404(() => d.getVolume(v.Name).remove());
      for (const n of await d.listNetworks({ filters })) await ignore404(() => d.getNetwork(n.Id).remove());
    };
    await guard(`purge cluster ${clusterId}`, () => purge(this.#o.docker));
    // Nodes first on every host, then the overlay network (a manager lists it; it goes once no node uses it).
    const hosts = (await this.#o.fleet?.all()) ?? [];
    for (const host of hosts) await guard(`purge cluster ${clusterId} on host ${host.name}`, () => purge(host.docker));
    await this.#sites.removeDir(this.#sites.clusterDir(clusterId));
    this.#sites.where.forget(clusterId);
  }
}
