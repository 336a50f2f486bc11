import { createReadStream } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type Dockerode from 'dockerode';
import { describeCause, EngineError } from '../core/errors.js';
import type { EngineNodes } from '../core/ports.js';
import type { NodeRole } from '../core/types.js';
import type { DockerEngineOptions } from './docker-engine.js';
import { execIn } from './docker-stream.js';
import { guard, ignore404, statusOf } from './engine-calls.js';
import { HOST_LXCFS_DIR } from './host-lxcfs.js';
import type { NodesOf } from './host-operations.js';
import { nodeHostname } from '../core/node-hostname.js';
import { clusterLabels, LABEL, names } from './labels.js';
import { lxcfsBinds } from './lxcfs-proc-files.js';
import { waitForEngine } from './node-client.js';
import { NODE_SECURITY } from './node-security.js';
import type { NodeSites } from './node-sites.js';
import { nodeTlsArchive, NODE_ENGINE_PORT, NODE_TLS_ARGS, type TrustedRegistry } from './remote-node.js';
import { clusterSubnet, MAX_NODES_ON_OVERLAY } from './subnets.js';

const ENGINE_START_TIMEOUT_MS = 30_000;

/**
 * Node containers on the engine or host where each is placed (NodeSites): created with their
 * volume, fixed address, binds and security settings, started and handed their cgroups, restarted,
 * removed. DockerEngine's node steps; the swarm steps are SwarmSteps'.
 */
export class NodeContainers {
  readonly #o: DockerEngineOptions;
  readonly #sites: NodeSites;

  constructor(options: DockerEngineOptions, sites: NodeSites) {
    this.#o = options;
    this.#sites = sites;
  }

  /** Creates node `index` (its volume, container, TLS files on a host) and starts it; an interrupted earlier attempt is taken up. */
  async create(c: EngineNodes, index: number, role: NodeRole): Promise<void> {
    const { nodeImage } = await this.#o.images();
    const site = await this.#sites.site(c, index);
    const labels = clusterLabels(this.#o.instance, c, { [LABEL.nodeIndex]: String(index), [LABEL.role]: role });
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
    await this.start(c, index);
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

  /**
   * Names node `index` after its cluster (`nodeHostname`) when it was created under another name:
   * a node of a warm shell, built before its cluster had one (docs/warm-pool.md). `docker info` shows
   * the name at once, the swarm at the node's next description update (within 20 s, measured). The
   * name is also kept where the node's entrypoint sets it again at every start. Nodes on registered
   * hosts are never pooled.
   */
  async name(c: EngineNodes, index: number): Promise<void> {
    const site = await this.#sites.site(c, index);
    if (site.host) return;
    const wanted = nodeHostname(c.name, index);
    const container = site.docker.getContainer(names.container(c.id, index));
    await guard(`name node ${index}`, async () => {
      if ((await container.inspect()).Config.Hostname === wanted) return;
      await writeFile(join(this.#sites.nodeDir(c.id, index), 'hostname'), `${wanted}\n`, { mode: 0o644 });
      await execIn(container, ['hostname', wanted]);
    });
  }

  async start(c: EngineNodes, index: number): Promise<void> {
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
        // ("id already in use" is runc's word for the same leftover, seen after an engine restart in CI.)
        if (/already exists|id already in use/i.test(describeCause(e))) {
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
  async engineAnswers(c: EngineNodes, index: number, operation: string): Promise<Dockerode> {
    const inner = await guard(operation, () => this.#sites.inner(c, index, true));
    if (!(await waitForEngine(inner, ENGINE_START_TIMEOUT_MS))) {
      throw new EngineError(operation, new Error(`its Docker engine did not answer within ${ENGINE_START_TIMEOUT_MS / 1000} s`));
    }
    return inner;
  }

  async restart(c: EngineNodes, index: number): Promise<void> {
    const operation = `restart node ${index}`;
    const site = await this.#sites.site(c, index);
    // The container's binds point into lxcfs's mount: it must serve again before a restart can bind them.
    if (!site.host && this.#o.lxcfs && !(await this.#o.lxcfs())) {
      throw new EngineError(operation, new Error('lxcfs does not serve its /proc files (see the server log): start lxcfs, then rebuild the cluster'));
    }
    // On a host, lxcfs is the host's to run: asked afresh (a kept answer may predate its end).
    if (site.host && !(await this.#sites.fleet().servesLxcfs(site.host.name, (await this.#o.images()).nodeImage, true))) {
      throw new EngineError(operation, new Error(`host ${site.host.name} does not serve lxcfs at ${HOST_LXCFS_DIR} any more, so the node's /proc files fail: start lxcfs there (docs/multi-host.md), then rebuild the cluster`));
    }
    this.#sites.where.forget(c.id, index);
    await guard(operation, async () => {
      const container = site.docker.getContainer(names.container(c.id, index));
      await container.restart({ t: 10 });
      await this.#delegate(site.host?.name, container.id);
    });
    const inner = await this.engineAnswers(c, index, operation);
    // Restarting again would not help a node whose /proc still doesn't answer: fail, so the cluster says why.
    const info = (await guard(operation, () => inner.info())) as { MemTotal?: number };
    if (info.MemTotal === 0) throw new EngineError(operation, new Error('the node still reports no memory after a restart: its /proc/meminfo does not answer'));
  }

  async remove(c: NodesOf, index: number): Promise<void> {
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

  async loadWorkloadImage(c: EngineNodes, index: number): Promise<void> {
    const { workloadTar } = await this.#o.images();
    await guard(`load workload image into node ${index}`, async () => {
      const stream = await (await this.#sites.inner(c, index)).loadImage(createReadStream(workloadTar), { quiet: true });
      await drain(stream);
    });
  }
}

function drain(stream: NodeJS.ReadableStream): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.on('data', () => undefined);
    stream.on('end', resolve);
    stream.on('error', reject);
  });
}
