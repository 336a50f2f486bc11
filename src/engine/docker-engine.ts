import { createReadStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type Dockerode from 'dockerode';
import { describeCause, EngineError } from '../core/errors.js';
import type { ClusterEngine, EngineCluster } from '../core/ports.js';
import type { ObservedCluster } from '../core/planner.js';
import type { NodeRole } from '../core/types.js';
import { LABEL, names, nodeHostname } from './labels.js';
import { NodeClients, pingQuick, waitForEngine } from './node-client.js';
import { clusterSubnet } from './subnets.js';
import { watchNodes } from './node-events.js';
import { LXCFS_PROC_FILES } from './lxcfs-proc-files.js';
import { collectUsage } from './usage.js';
import type { ClusterUsage } from '../core/autoscale.js';
import { observeCluster } from './observe.js';
import { NODE_SECURITY } from './node-security.js';
import type { CgroupDelegation } from './cgroup-delegation.js';

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
}

const SWARM_PORT = 2377;
/** The tag the workload image carries inside every node (what users `docker run`). */
const WORKLOAD_IMAGE_IN_NODE = 'carina/busybox:latest';
const ENGINE_START_TIMEOUT_MS = 30_000;

/** The `ClusterEngine` port on a real Docker engine through dockerode. */
export class DockerEngine implements ClusterEngine {
  readonly #o: DockerEngineOptions;
  readonly #nodes = new NodeClients();

  constructor(options: DockerEngineOptions) {
    this.#o = Object.freeze({ ...options });
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

  #clusterDir(clusterId: string): string {
    return join(this.#o.dataDir, 'nodes', clusterId);
  }

  #nodeDir(clusterId: string, index: number): string {
    return join(this.#clusterDir(clusterId), `n${index}`);
  }

  /** Removes a node's or a cluster's host directory, and the clients of the engines whose sockets were in it. */
  async #removeDir(dir: string): Promise<void> {
    await rm(dir, { recursive: true, force: true });
    this.#nodes.evict(dir);
  }

  /** The manager's engine socket on the host (what the Docker API gateway forwards to). */
  managerSocket(clusterId: string): string {
    return this.#socket(clusterId, 0);
  }

  #socket(clusterId: string, index: number): string {
    return join(this.#nodeDir(clusterId, index), 'docker.sock');
  }

  #inner(c: EngineCluster, index: number, quick = false): Dockerode {
    return this.#nodes.get(this.#socket(c.id, index), quick);
  }

  observe(c: EngineCluster, withMembers = true): Promise<ObservedCluster> {
    return observeCluster({
      withMembers,
      docker: this.#o.docker,
      instance: this.#o.instance,
      clusterId: c.id,
      network: names.network(c.id),
      node: (index) => this.#inner(c, index, true),
      workloadImage: WORKLOAD_IMAGE_IN_NODE,
    });
  }

  async createNetwork(c: EngineCluster): Promise<void> {
    await guard('create network', async () => {
      try {
        const { subnet, gateway } = clusterSubnet(this.#o.nodeSubnetPool, c.port);
        await this.#o.docker.createNetwork({
          Name: names.network(c.id),
          Driver: 'bridge',
          CheckDuplicate: true,
          IPAM: { Driver: 'default', Config: [{ Subnet: subnet, Gateway: gateway }] },
          Labels: this.#labels(c),
        });
      } catch (e) {
        if (statusOf(e) !== 409) throw e;
      }
    });
  }

  async removeNetwork(c: EngineCluster): Promise<void> {
    await guard('remove network', () => ignore404(() => this.#o.docker.getNetwork(names.network(c.id)).remove()));
    await this.#removeDir(this.#clusterDir(c.id));
  }

  async createNode(c: EngineCluster, index: number, role: NodeRole): Promise<void> {
    const { nodeImage } = await this.#o.images();
    const dir = this.#nodeDir(c.id, index);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    // The inner engine makes its socket here as the node's root, an unprivileged host user in userns mode.
    await guard(`create node ${index}`, async () => this.#o.delegation?.ownDir(dir));
    const binds = [`${names.volume(c.id, index)}:/var/lib/docker`, `${dir}:/run/carina`];
    const lxcfs = await this.#o.lxcfs?.();
    if (lxcfs) for (const f of LXCFS_PROC_FILES) binds.push(`${lxcfs}/proc/${f}:/proc/${f}:ro`);
    if (this.#o.registryCerts) binds.push(`${this.#o.registryCerts}:/etc/docker/certs.d:ro`);
    const labels = this.#labels(c, { [LABEL.nodeIndex]: String(index), [LABEL.role]: role });
    await guard(`create node ${index}`, async () => {
      await this.#o.docker.createVolume({ Name: names.volume(c.id, index), Labels: labels });
      try {
        await this.#o.docker.createContainer({
          name: names.container(c.id, index),
          Image: nodeImage,
          Hostname: nodeHostname(c.name, index),
          // Every engine listens only on its unix socket: the control plane's gateway is the only way in (no TLS, nothing published).
          Cmd: [],
          Labels: labels,
          // A fixed address per node: a re-created node comes back where the swarm expects it.
          NetworkingConfig: {
            EndpointsConfig: { [names.network(c.id)]: { IPAMConfig: { IPv4Address: clusterSubnet(this.#o.nodeSubnetPool, c.port).nodeAddress(index) } } },
          },
          HostConfig: {
            Binds: binds,
            NetworkMode: names.network(c.id),
            Memory: c.flavor.memoryBytes,
            NanoCpus: c.flavor.vcpus * 1e9,
            RestartPolicy: { Name: 'unless-stopped' },
            // Least privilege that still runs an engine here: see node-security.ts and docs/node-hardening.md.
            ...(NODE_SECURITY as object),
          },
        });
      } catch (e) {
        if (statusOf(e) !== 409) throw e; // already created by an earlier, interrupted attempt
      }
    });
    await this.startNode(c, index);
  }

  async startNode(c: EngineCluster, index: number): Promise<void> {
    const operation = `start node ${index}`;
    const container = this.#o.docker.getContainer(names.container(c.id, index));
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
    await guard(operation, () => this.#delegate(container.id));
    await this.#engineAnswers(c, index, operation);
  }

  /** In userns mode, hands a started node its cgroups (its nested containers cannot start before). */
  async #delegate(containerId: string): Promise<void> {
    await this.#o.delegation?.delegate(containerId);
  }

  /** Waits until node `index`'s inner engine answers; an EngineError naming `operation` after ENGINE_START_TIMEOUT_MS. */
  async #engineAnswers(c: EngineCluster, index: number, operation: string): Promise<Dockerode> {
    const inner = this.#inner(c, index, true);
    if (!(await waitForEngine(inner, ENGINE_START_TIMEOUT_MS))) {
      throw new EngineError(operation, new Error(`its Docker engine did not answer within ${ENGINE_START_TIMEOUT_MS / 1000} s`));
    }
    return inner;
  }

  async restartNode(c: EngineCluster, index: number): Promise<void> {
    const operation = `restart node ${index}`;
    // The container's binds point into lxcfs's mount: it must serve again before a restart can bind them.
    if (this.#o.lxcfs && !(await this.#o.lxcfs())) {
      throw new EngineError(operation, new Error('lxcfs does not serve its /proc files (see the server log): start lxcfs, then rebuild the cluster'));
    }
    await guard(operation, async () => {
      const container = this.#o.docker.getContainer(names.container(c.id, index));
      await container.restart({ t: 10 });
      await this.#delegate(container.id);
    });
    const inner = await this.#engineAnswers(c, index, operation);
    // Restarting again would not help a node whose /proc still doesn't answer: fail, so the cluster says why.
    const info = (await guard(operation, () => inner.info())) as { MemTotal?: number };
    if (info.MemTotal === 0) throw new EngineError(operation, new Error('the node still reports no memory after a restart: its /proc/meminfo does not answer'));
  }

  async removeNode(c: EngineCluster, index: number): Promise<void> {
    await guard(`remove node ${index}`, () =>
      ignore404(() => this.#o.docker.getContainer(names.container(c.id, index)).remove({ force: true, v: true })),
    );
    await this.removeVolume(c, index);
    await this.#removeDir(this.#nodeDir(c.id, index));
  }

  async removeVolume(c: EngineCluster, index: number): Promise<void> {
    await guard(`remove volume of node ${index}`, () => ignore404(() => this.#o.docker.getVolume(names.volume(c.id, index)).remove()));
  }

  async loadWorkloadImage(c: EngineCluster, index: number): Promise<void> {
    const { workloadTar } = await this.#o.images();
    await guard(`load workload image into node ${index}`, async () => {
      const stream = await this.#inner(c, index).loadImage(createReadStream(workloadTar), { quiet: true });
      await drain(stream);
    });
  }

  async swarmInit(c: EngineCluster): Promise<void> {
    const addr = await this.#address(c, 0);
    await guard('initialise the swarm', () =>
      this.#inner(c, 0).swarmInit({
        ListenAddr: `0.0.0.0:${SWARM_PORT}`,
        AdvertiseAddr: `${addr}:${SWARM_PORT}`,
        ForceNewCluster: false,
        // Heartbeats every 2 s (default 5 s): nodes are seen Ready again sooner after a restart.
        Spec: { Dispatcher: { HeartbeatPeriod: 2_000_000_000 } },
      }),
    );
  }

  async swarmJoin(c: EngineCluster, index: number): Promise<void> {
    const [managerAddr, addr] = await Promise.all([this.#address(c, 0), this.#address(c, index)]);
    await guard(`join node ${index} to the swarm`, async () => {
      const swarm = (await this.#inner(c, 0).swarmInspect()) as { JoinTokens: { Worker: string } };
      const worker = this.#inner(c, index);
      const state = ((await worker.info()) as { Swarm?: { LocalNodeState?: string } }).Swarm?.LocalNodeState;
      if (state && state !== 'inactive') await worker.swarmLeave({ force: true });
      await worker.swarmJoin({
        ListenAddr: `0.0.0.0:${SWARM_PORT}`,
        AdvertiseAddr: `${addr}:${SWARM_PORT}`,
        RemoteAddrs: [`${managerAddr}:${SWARM_PORT}`],
        JoinToken: swarm.JoinTokens.Worker,
      });
    });
  }

  async removeSwarmMember(c: EngineCluster, memberId: string): Promise<void> {
    await guard('remove a stale swarm member', () => ignore404(() => this.#inner(c, 0).getNode(memberId).remove({ force: true })));
  }

  async drainNode(c: EngineCluster, memberId: string): Promise<void> {
    await guard('drain a node', async () => {
      const node = this.#inner(c, 0).getNode(memberId);
      const info = (await node.inspect()) as { Version: { Index: number }; Spec: Record<string, unknown> };
      await node.update({ _query: { version: info.Version.Index }, _body: { ...info.Spec, Availability: 'drain' } });
    });
  }

  async decommissionNode(c: EngineCluster, index: number, memberId: string): Promise<void> {
    await guard(`take node ${index} out of the swarm`, async () => {
      await this.#inner(c, index).swarmLeave({ force: false }).catch(() => undefined); // gone or not a member: fine
      await ignore404(() => this.#inner(c, 0).getNode(memberId).remove({ force: true }));
    });
    await this.removeNode(c, index);
  }

  async #address(c: EngineCluster, index: number): Promise<string> {
    const info = await guard(`inspect node ${index}`, () => this.#o.docker.getContainer(names.container(c.id, index)).inspect());
    const ip = info.NetworkSettings.Networks[names.network(c.id)]?.IPAddress;
    if (!ip) throw new EngineError(`inspect node ${index}`, new Error('the node has no address on its cluster network'));
    return ip;
  }

  available(): Promise<boolean> {
    return pingQuick(this.#o.docker);
  }

  async listClusterIds(): Promise<string[]> {
    const filters = { label: [`${LABEL.instance}=${this.#o.instance}`] };
    const [containers, volumes, networks] = await guard('list cluster objects', () =>
      Promise.all([
        this.#o.docker.listContainers({ all: true, filters }),
        this.#o.docker.listVolumes({ filters }),
        this.#o.docker.listNetworks({ filters }),
      ]),
    );
    const ids = new Set<string>();
    for (const o of [...containers, ...(volumes.Volumes ?? []), ...networks]) {
      const id = o.Labels?.[LABEL.clusterId];
      if (id) ids.add(id);
    }
    return [...ids];
  }

  async usage(c: EngineCluster, options: { withStats: boolean }): Promise<ClusterUsage> {
    // Without the members listing: collectUsage lists the swarm's tasks itself, once.
    const observed = await this.observe(c, false);
    const running = observed.nodes.filter((n) => n.running && n.engineUp);
    const managerUp = running.some((n) => n.index === 0 && n.swarm === 'active');
    return guard('measure usage', () =>
      collectUsage({
        nodes: running.map((n) => ({
          index: n.index,
          client: this.#inner(c, n.index),
          swarmNodeId: n.swarmNodeId,
          container: this.#o.docker.getContainer(names.container(c.id, n.index)),
        })),
        manager: managerUp ? this.#inner(c, 0) : undefined,
        withStats: options.withStats,
      }),
    );
  }

  watch(onChange: (clusterId: string) => void): { close(): void } {
    return watchNodes({ docker: this.#o.docker, instance: this.#o.instance, delegation: this.#o.delegation, log: this.#o.log, onChange });
  }

  async purgeCluster(clusterId: string): Promise<void> {
    const filters = { label: [`${LABEL.instance}=${this.#o.instance}`, `${LABEL.clusterId}=${clusterId}`] };
    const d = this.#o.docker;
    await guard(`purge cluster ${clusterId}`, async () => {
      for (const c of await d.listContainers({ all: true, filters })) await ignore404(() => d.getContainer(c.Id).remove({ force: true, v: true }));
      for (const v of (await d.listVolumes({ filters })).Volumes ?? []) await ignore404(() => d.getVolume(v.Name).remove());
      for (const n of await d.listNetworks({ filters })) await ignore404(() => d.getNetwork(n.Id).remove());
    });
    await this.#removeDir(this.#clusterDir(clusterId));
  }
}

/** The HTTP status of a dockerode error, if any. */
export function statusOf(e: unknown): number | undefined {
  const code = (e as { statusCode?: unknown } | null)?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

async function ignore404(fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (e) {
    if (statusOf(e) !== 404) throw e;
  }
}

/** Runs an engine call, wrapping failures in an EngineError naming the operation. */
async function guard<T>(operation: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof EngineError) throw e;
    throw new EngineError(operation, e);
  }
}

function drain(stream: NodeJS.ReadableStream): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.on('data', () => undefined);
    stream.on('end', resolve);
    stream.on('error', reject);
  });
}
