import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type Dockerode from 'dockerode';
import { EngineError } from '../core/errors.js';
import { guard } from './engine-calls.js';
import type { TlsMaterial } from './host-client.js';
import type { HostEngine, HostFleet } from './host-fleet.js';
import type { NodesOf } from './host-operations.js';
import { names } from './labels.js';
import { NodeClients, pingQuick } from './node-client.js';
import { NodeWhereabouts, type RemoteAt } from './node-whereabouts.js';
import { publishedEnginePort } from './remote-node.js';

/** Key material for node engines on registered hosts, from the platform's node-engines CA. */
export interface NodeEngineTls {
  /** The control plane's client certificate and key, and the CA node engines' certificates are checked against. */
  readonly client: TlsMaterial;
  /** A server certificate (and key) for a node engine reached at `address` (an IP address or a DNS name). */
  issueServer(address: string): Promise<{ readonly cert: string; readonly key: string }>;
}

/** Where a cluster's manager engine answers, for the gateway. */
export type ManagerUpstream =
  | { readonly kind: 'unix'; readonly socketPath: string }
  | { readonly kind: 'tls'; readonly host: string; readonly port: number; readonly ca: string; readonly cert: string; readonly key: string };

export interface NodeSitesOptions {
  /** The engine that runs local node containers. */
  readonly docker: Dockerode;
  /** Host directory for local nodes' sockets (one directory per node). */
  readonly dataDir: string;
  readonly fleet?: HostFleet | undefined;
  readonly nodeTls?: NodeEngineTls | undefined;
  readonly placementsOf?: ((clusterId: string) => Promise<ReadonlyMap<number, string>>) | undefined;
  /** Wraps each client of a node's own engine as it is made. */
  readonly wrapNodeClient?: ((docker: Dockerode) => Dockerode) | undefined;
}

/**
 * Where each node of a cluster is and how it is reached: the engine that runs its container (the
 * local one, or its registered host's), its own inner engine (a unix socket in the data dir, or its
 * TLS port published on its host), its address on the cluster network, and where the cluster's
 * manager answers for the gateway. DockerEngine and its swarm steps share one.
 */
export class NodeSites {
  readonly #o: NodeSitesOptions;
  readonly #nodes: NodeClients;
  /** Where remote nodes' engines were last found; a re-created or restarted node is looked up again. */
  readonly where = new NodeWhereabouts();

  constructor(options: NodeSitesOptions) {
    this.#o = Object.freeze({ ...options });
    this.#nodes = new NodeClients(options.wrapNodeClient);
  }

  clusterDir(clusterId: string): string {
    return join(this.#o.dataDir, 'nodes', clusterId);
  }

  nodeDir(clusterId: string, index: number): string {
    return join(this.clusterDir(clusterId), `n${index}`);
  }

  /** A local node's engine socket on the host. */
  socket(clusterId: string, index: number): string {
    return join(this.nodeDir(clusterId, index), 'docker.sock');
  }

  /** Removes a node's or a cluster's host directory, and the clients of the engines whose sockets were in it. */
  async removeDir(dir: string): Promise<void> {
    await rm(dir, { recursive: true, force: true });
    this.#nodes.evict(dir);
  }

  /** A client of node `index`'s inner engine: its unix socket here, or its TLS port published on its host. */
  async inner(c: NodesOf, index: number, quick = false): Promise<Dockerode> {
    const hostName = c.hosts?.get(index);
    if (hostName === undefined) return this.#nodes.get(this.socket(c.id, index), quick);
    this.where.setPlaced(c.id, true);
    const at = this.where.at(c.id, index) ?? (await this.#locateRemote(c.id, index, hostName));
    return this.#nodes.tls(at.address, at.port, this.tls().client, quick);
  }

  /** A quick-timeout client of a local node's engine, for observing. */
  localQuick(clusterId: string, index: number): Dockerode {
    return this.#nodes.get(this.socket(clusterId, index), true);
  }

  /** A quick-timeout client of a node engine published at `at` on its host, remembered as where that node answers. */
  remoteQuick(clusterId: string, index: number, at: RemoteAt): Dockerode {
    this.where.found(clusterId, index, at);
    return this.#nodes.tls(at.address, at.port, this.tls().client, true);
  }

  async #locateRemote(clusterId: string, index: number, hostName: string): Promise<RemoteAt> {
    const host = await this.fleet().host(hostName);
    const info = await guard(`inspect node ${index}`, () => host.docker.getContainer(names.container(clusterId, index)).inspect());
    const port = publishedEnginePort(info.NetworkSettings.Ports);
    if (port === undefined) throw new EngineError(`reach node ${index}`, new Error(`its engine port is not published on host ${hostName} (is the node running?)`));
    const at = { host: hostName, address: host.address, port };
    this.where.found(clusterId, index, at);
    return at;
  }

  fleet(): HostFleet {
    if (!this.#o.fleet) throw new EngineError('reach a host', new Error('this control plane has no registered hosts (carina-server hosts add)'));
    return this.#o.fleet;
  }

  tls(): NodeEngineTls {
    if (!this.#o.nodeTls) throw new EngineError('reach a node on a host', new Error('no key material for node engines on hosts'));
    return this.#o.nodeTls;
  }

  /** The engine that runs node `index`'s container: its host's, or the local one. */
  async site(c: NodesOf, index: number): Promise<{ readonly docker: Dockerode; readonly host?: HostEngine }> {
    const hostName = c.hosts?.get(index);
    if (hostName === undefined) return { docker: this.#o.docker };
    const host = await this.fleet().host(hostName);
    return { docker: host.docker, host };
  }

  /** The distinct hosts of a placed cluster's nodes (none: it runs on the local engine). */
  hostsOf(c: NodesOf): string[] {
    return [...new Set(c.hosts?.values() ?? [])].sort();
  }

  /** Node `index`'s address on its cluster network. */
  async address(c: NodesOf, index: number): Promise<string> {
    const { docker } = await this.site(c, index);
    const info = await guard(`inspect node ${index}`, () => docker.getContainer(names.container(c.id, index)).inspect());
    const ip = info.NetworkSettings.Networks[names.network(c.id)]?.IPAddress;
    if (!ip) throw new EngineError(`inspect node ${index}`, new Error('the node has no address on its cluster network'));
    return ip;
  }

  /**
   * Where the gateway reaches a cluster's manager engine now: as last found, else (a cluster no pass
   * has observed since this process started) undefined until `locateManager` has looked.
   */
  managerUpstream(clusterId: string): ManagerUpstream | undefined {
    const at = this.where.at(clusterId, this.where.manager(clusterId));
    if (at === undefined) return this.where.isPlaced(clusterId) ? undefined : { kind: 'unix', socketPath: this.socket(clusterId, 0) };
    const { ca, cert, key } = this.tls().client;
    return { kind: 'tls', host: at.address, port: at.port, ca, cert, key };
  }

  /**
   * Finds a cluster's manager from its placement (the store) and its container (its host), for
   * managerUpstream: the node that managed it last, else the first manager seat whose engine answers.
   */
  async locateManager(clusterId: string): Promise<void> {
    const placed = await this.#o.placementsOf?.(clusterId);
    if (placed === undefined || placed.get(0) === undefined) {
      this.where.setPlaced(clusterId, false);
      return;
    }
    this.where.setPlaced(clusterId, true);
    const last = this.where.knownManager(clusterId);
    const seats = [...new Set([...(last === undefined ? [] : [last]), 0, 1, 2])].filter((i) => placed.has(i));
    let failure: EngineError | undefined;
    for (const index of seats) {
      this.where.forget(clusterId, index);
      try {
        const at = await this.#locateRemote(clusterId, index, placed.get(index) as string);
        if (await pingQuick(this.#nodes.tls(at.address, at.port, this.tls().client, true))) {
          this.where.setManager(clusterId, index);
          return;
        }
      } catch (e) {
        failure = e instanceof EngineError ? e : new EngineError('find the cluster\'s manager', e);
      }
    }
    if (failure !== undefined) throw failure;
  }
}
