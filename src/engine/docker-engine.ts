import { createReadStream } from 'node:fs';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type Dockerode from 'dockerode';
import { describeCause, EngineError } from '../core/errors.js';
import type { ClusterEngine, EngineCluster } from '../core/ports.js';
import type { ObservedCluster } from '../core/planner.js';
import type { NodeRole } from '../core/types.js';
import { LABEL, names, nodeHostname } from './labels.js';
import { pingQuick, waitForEngine } from './node-client.js';
import type { HostFleet } from './host-fleet.js';
import { nodeTlsArchive, NODE_ENGINE_PORT, NODE_TLS_ARGS, publishedEnginePort, type TrustedRegistry } from './remote-node.js';
import { clusterSubnet, MAX_NODES_ON_OVERLAY } from './subnets.js';
import { NodeSites, type ManagerUpstream, type NodeEngineTls } from './node-sites.js';
import { SwarmSteps } from './swarm-steps.js';
import { watchNodes } from './node-events.js';
import { HOST_LXCFS_DIR } from './host-lxcfs.js';
import { lxcfsBinds } from './lxcfs-proc-files.js';
import { collectUsage } from './usage.js';
import type { ClusterUsage } from '../core/autoscale.js';
import { observeCluster } from './observe.js';
import { guard, ignore404, statusOf } from './engine-calls.js';
import { HostOperations, type NodesOf } from './host-operations.js';
import { NODE_SECURITY } from './node-security.js';
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
}

/** The tag the workload image carries inside every node (what users `docker run`). */
const WORKLOAD_IMAGE_IN_NODE = 'carina/busybox:latest';
const ENGINE_START_TIMEOUT_MS = 30_000;

/** The `ClusterEngine` port on a real Docker engine through dockerode. */
export class DockerEngine implements ClusterEngine {
  readonly #o: DockerEngineOptions;
  readonly #sites: NodeSites;
  readonly #swarm: SwarmSteps;

  /** What the host monitor does to registered hosts that go, come back or drain. */
  readonly hosts: HostOperations;

  constructor(options: DockerEngineOptions) {
    this.#o = Object.freeze({ ...options });
    this.#sites = new NodeSites(options);
    this.#swarm = new SwarmSteps(this.#sites);
    this.hosts = new HostOperations({
      fleet: () => this.#sites.fleet(),
      where: this.#sites.where,
      instance: options.instance,
      placementsOf: options.placementsOf,
      siteOf: async (c, index) => (await this.#sites.site(c, index)).docker,
      inner: (c, index, quick) => this.#sites.inner(c, index, quick),
      removeVolume: (c, index) => this.removeVolume(c, index),
    });
  }

  async prepare(): Promise<void> {
    await this.#o.images();
  }

  #labels(c: EngineCluster, extra: Record<string, string> = {}): Record<string, string> {
    return {
      [LABEL.managed]: 'true',
      [LABEL.instance]: this.#o.instance,
      [LABEL.account]: c.accountName,
      [LABEL.clusterId]: c.id,
      [LABEL.cluster]: c.name,
      ...extra,
    };
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

  async createNetwork(c: EngineCluster): Promise<void> {
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
          Labels: this.#labels(c),
        });
      } catch (e) {
        if (statusOf(e) !== 409) throw e;
      }
    });
  }

  async removeNetwork(c: EngineCluster): Promise<void> {
    const placed = this.#sites.hostsOf(c).length > 0;
    const docker = placed ? (await this.#sites.fleet().manager())?.docker : this.#o.docker;
    if (docker) await guard('remove network', () => ignore404(() => docker.getNetwork(names.network(c.id)).remove()));
    await this.#sites.removeDir(this.#sites.clusterDir(c.id));
    this.#sites.where.forget(c.id);
  }

  async createNode(c: EngineCluster, index: number, role: NodeRole): Promise<void> {
    const { nodeImage } = await this.#o.images();
    const site = await this.#sites.site(c, index);
    const labels = this.#labels(c, { [LABEL.nodeIndex]: String(index), [LABEL.role]: role });
    const volume = `${names.volume(c.id, index)}:/var/lib/docker`;
    let node: { Cmd: string[]; Binds: string[]; extra: Record<string, unknown> };
    if (site.host) {
      if (index >= MAX_NODES_ON_OVERLAY) throw new EngineError(`create node ${index}`, new Error(`a cluster on registered hosts has at most ${MAX_NODES_ON_OVERLAY} nodes`));
      // On a registered host: the image copied there first, the host in the hosts' swarm (the
      // cluster's overlay network is attachable only there), the engine on TLS at a published port.
      await this.#sites.fleet().ensureImage(site.host.name, nodeImage);
      await this.#sites.fleet().ensureSwarm([site.host.name]);
      // The host's lxcfs, when it serves one, gives the node its flavor's /proc as local nodes get it.
      const lxcfs = (await this.#sites.fleet().servesLxcfs(site.host.name, nodeImage)) ? lxcfsBinds(HOST_LXCFS_DIR) : [];
      node = { Cmd: [...NODE_TLS_ARGS], Binds: [volume, ...lxcfs], extra: { ExposedPorts: { [`${NODE_ENGINE_PORT}/tcp`]: {} } } };
    } else {
      const dir = this.#sites.nodeDir(c.id, index);
      await mkdir(dir, { recursive: true, mode: 0o700 });
      // The inner engine makes its socket here as the node's root, an unprivileged host user in userns mode.
      await guard(`create node ${index}`, async () => this.#o.delegation?.ownDir(dir));
      const binds = [volume, `${dir}:/run/carina`];
      const lxcfs = await this.#o.lxcfs?.();
      if (lxcfs) binds.push(...lxcfsBinds(lxcfs));
      if (this.#o.registryCerts) binds.push(`${this.#o.registryCerts}:/etc/docker/certs.d:ro`);
      // Every engine listens only on its unix socket: the control plane's gateway is the only way in (no TLS, nothing published).
      node = { Cmd: [], Binds: binds, extra: {} };
    }
    const container = site.docker.getContainer(names.container(c.id, index));
    await guard(`create node ${index}`, async () => {
      await site.docker.createVolume({ Name: names.volume(c.id, index), Labels: labels });
      try {
        await site.docker.createContainer({
          name: names.container(c.id, index),
          Image: nodeImage,
          Hostname: nodeHostname(c.name, index),
          Cmd: node.Cmd,
          Labels: labels,
          ...node.extra,
          // A fixed address per node: a re-created node comes back where the swarm expects it.
          NetworkingConfig: {
            EndpointsConfig: { [names.network(c.id)]: { IPAMConfig: { IPv4Address: clusterSubnet(this.#o.nodeSubnetPool, c.port).nodeAddress(index) } } },
          },
          HostConfig: {
            Binds: node.Binds,
            NetworkMode: names.network(c.id),
            Memory: c.flavor.memoryBytes,
            NanoCpus: c.flavor.vcpus * 1e9,
            RestartPolicy: { Name: 'unless-stopped' },
            // Any free port of the host: found again from the container after every start.
            ...(site.host ? { PortBindings: { [`${NODE_ENGINE_PORT}/tcp`]: [{ HostPort: '' }] } } : {}),
            // Least privilege that still runs an engine here: see node-security.ts and docs/node-hardening.md.
            ...(NODE_SECURITY as object),
          },
        });
      } catch (e) {
        if (statusOf(e) !== 409) throw e; // already created by an earlier, interrupted attempt
      }
      if (site.host && !(await container.inspect()).State.Running) {
        // The engine's TLS files, put into the container before its first start (written again on a retry).
        const tls = await this.#sites.tls().issueServer(site.host.address);
        await container.putArchive(nodeTlsArchive({ ca: this.#sites.tls().client.ca, cert: tls.cert, key: tls.key }, await this.#trustedRegistries()), { path: '/' });
      }
    });
    await this.startNode(c, index);
  }

  /** The registries nodes trust (the platform's), from the directory local nodes get bound: ADDRESS/ca.crt each. */
  async #trustedRegistries(): Promise<TrustedRegistry[]> {
    const dir = this.#o.registryCerts;
    if (dir === undefined) return [];
    const found: TrustedRegistry[] = [];
    for (const address of await readdir(dir).catch(() => [])) {
      const caPem = await readFile(join(dir, address, 'ca.crt'), 'utf8').catch(() => undefined);
      if (caPem !== undefined) found.push({ address, caPem });
    }
    return found;
  }

  async startNode(c: EngineCluster, index: number): Promise<void> {
    const operation = `start node ${index}`;
    const site = await this.#sites.site(c, index);
    const container = site.docker.getContainer(names.container(c.id, index));
    this.#sites.where.forget(c.id, index); // a started node may publish its engine on another port
    await guard(operation, async () => {
      try {
        await container.start();
      } catch (e) {
        if (statusOf(e) === 304) return; // already running
        // The engine's own restart policy may be starting it at the same moment (after an engine
        // restart: "task … already exists"): if it is up or coming up a moment later, that's fine.
        await sleep(500);
        const state = (await container.inspect()).State;
        if (state.Running || state.Restarting) return;
        if (/already exists/i.test(describeCause(e))) {
          // A task left behind by an engine that shut down while this node was being started: the
          // engine can't start the container again, so remove it; the next pass re-creates it with
          // its volume (swarm state) and its fixed address.
          await container.remove({ force: true }).catch(() => undefined);
        }
        throw e;
      }
    });
    await guard(operation, () => this.#delegate(site.host?.name, container.id));
    // Not waiting here for the node's engine to answer: the planner waits for it (and ends a stall in
    // `error` with the reason). A swarm member's engine answers only once its swarm component started,
    // up to 20 s when its managers are down — after an engine restart the workers would hold the batch,
    // and the manager they wait for would be started only after it.
  }

  /**
   * Hands a started node its cgroups (its nested containers cannot start before) where root in it is
   * not the host's root: local nodes in userns mode, nodes on a host whose engine remaps users.
   */
  async #delegate(hostName: string | undefined, containerId: string): Promise<void> {
    if (hostName === undefined) await this.#o.delegation?.delegate(containerId);
    else await this.#sites.fleet().delegate(hostName, containerId, (await this.#o.images()).nodeImage);
  }

  /** Waits until node `index`'s inner engine answers; an EngineError naming `operation` after ENGINE_START_TIMEOUT_MS. */
  async #engineAnswers(c: EngineCluster, index: number, operation: string): Promise<Dockerode> {
    const inner = await guard(operation, () => this.#sites.inner(c, index, true));
    if (!(await waitForEngine(inner, ENGINE_START_TIMEOUT_MS))) {
      throw new EngineError(operation, new Error(`its Docker engine did not answer within ${ENGINE_START_TIMEOUT_MS / 1000} s`));
    }
    return inner;
  }

  async restartNode(c: EngineCluster, index: number): Promise<void> {
    const operation = `restart node ${index}`;
    const site = await this.#sites.site(c, index);
    // The container's binds point into lxcfs's mount: it must serve again before a restart can bind them.
    if (!site.host && this.#o.lxcfs && !(await this.#o.lxcfs())) {
      throw new EngineError(operation, new Error('lxcfs does not serve its /proc files (see the server log): start lxcfs, then rebuild the cluster'));
    }
    this.#sites.where.forget(c.id, index);
    await guard(operation, async () => {
      const container = site.docker.getContainer(names.container(c.id, index));
      await container.restart({ t: 10 });
      await this.#delegate(site.host?.name, container.id);
    });
    const inner = await this.#engineAnswers(c, index, operation);
    // Restarting again would not help a node whose /proc still doesn't answer: fail, so the cluster says why.
    const info = (await guard(operation, () => inner.info())) as { MemTotal?: number };
    if (info.MemTotal === 0) throw new EngineError(operation, new Error('the node still reports no memory after a restart: its /proc/meminfo does not answer'));
  }

  async removeNode(c: NodesOf, index: number): Promise<void> {
    const { docker } = await this.#sites.site(c, index);
    await guard(`remove node ${index}`, () => ignore404(() => docker.getContainer(names.container(c.id, index)).remove({ force: true, v: true })));
    this.#sites.where.forget(c.id, index);
    await this.removeVolume(c, index);
    await this.#sites.removeDir(this.#sites.nodeDir(c.id, index));
  }

  async removeVolume(c: NodesOf, index: number): Promise<void> {
    const { docker } = await this.#sites.site(c, index);
    await guard(`remove volume of node ${index}`, () => ignore404(() => docker.getVolume(names.volume(c.id, index)).remove()));
  }

  async loadWorkloadImage(c: EngineCluster, index: number): Promise<void> {
    const { workloadTar } = await this.#o.images();
    await guard(`load workload image into node ${index}`, async () => {
      const stream = await (await this.#sites.inner(c, index)).loadImage(createReadStream(workloadTar), { quiet: true });
      await drain(stream);
    });
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

function drain(stream: NodeJS.ReadableStream): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.on('data', () => undefined);
    stream.on('end', resolve);
    stream.on('error', reject);
  });
}
