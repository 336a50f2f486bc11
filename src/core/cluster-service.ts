import type { ClusterUsage } from './autoscale.js';
import { CarinaError, ErrorCode } from './errors.js';
import { DEFAULT_FLAVOR, findFlavor, FLAVORS, type Flavor } from './flavors.js';
import { placeNodes, placementPool } from './placement.js';
import type { AuditEntry, CredentialsBundler, EndpointNotifier, LoggedEvent, Pki, Store } from './ports.js';
import type { Account, Cluster, ClusterEvent, ClusterNode, ClusterPki } from './types.js';
import { assertClusterName } from './validation.js';
import { ShellTakenError } from './warm-pool.js';
import type { CreateCluster } from '../wire/cluster-schemas.js';
import { CREATE_DEFAULTS } from '../wire/limits.js';

/** Something that gets a cluster worked on soon (the reconciler). */
export interface Scheduler {
  kick(clusterId: string): void;
}

export interface ClusterServiceDeps {
  readonly store: Store;
  readonly pki: Pki;
  readonly scheduler: Scheduler;
  readonly newId: () => string;
  readonly portRange: { readonly from: number; readonly to: number };
  readonly dnsNames: (cluster: Pick<Cluster, 'id' | 'name' | 'accountName'>) => string[];
  readonly ipAddresses: readonly string[];
  /** Measured reservations and use of a cluster's nodes. */
  readonly usage: (cluster: Cluster) => Promise<ClusterUsage>;
  /** The gateway, refreshed when a cluster's key material changes. */
  readonly endpoints?: EndpointNotifier;
  /** Packs the credentials bundle. */
  readonly bundles: CredentialsBundler;
  /** Host the bundle's docker client calls (the advertised address). */
  readonly endpointHost: string;
  /** The registry's address, for the bundle's README (namespace: the account's name). */
  readonly registryAddress?: string | undefined;
  /** Set when the warm pool is on (docs/warm-pool.md): creates take its shells, and tell it when they did. */
  readonly warmPool?: { taken(): void } | undefined;
}

/** A cluster and how many of its nodes are Ready. */
export interface ClusterSummary {
  readonly cluster: Cluster;
  readonly readyNodes: number;
}

/** An account's quotas and how much of its cluster quota it uses. */
export interface QuotaUse {
  readonly maxClusters: number;
  readonly maxNodesPerCluster: number;
  readonly clusters: number;
}

/** A credentials bundle, or `unchanged` when the caller already holds the one of the current client certificate. */
export type CredentialsBundle =
  | { readonly kind: 'unchanged'; readonly cluster: Cluster; readonly clientSerial: string }
  | { readonly kind: 'bundle'; readonly cluster: Cluster; readonly clientSerial: string; readonly archive: Uint8Array };

/** The use cases of an authenticated account on its clusters. Transport-agnostic. */
export class ClusterService {
  readonly #d: ClusterServiceDeps;

  constructor(deps: ClusterServiceDeps) {
    this.#d = Object.freeze({ ...deps });
  }

  async create(account: Account, input: CreateCluster): Promise<Cluster> {
    assertClusterName(input.name);
    const flavor = input.flavor ?? DEFAULT_FLAVOR;
    if (!findFlavor(flavor)) {
      throw new CarinaError(ErrorCode.FLAVOR_NOT_FOUND, `unknown flavor "${flavor}"`, { details: { flavor } });
    }
    const nodeCount = input.nodes ?? CREATE_DEFAULTS.nodes;
    const fresh = this.#d.newId();
    // With registered hosts, every node must fit on one before anything is stored.
    const hosts = await this.#chooseHosts(fresh, findFlavor(flavor) as Flavor, nodeCount);
    // On the local engine, a warm shell's nodes are already up (docs/warm-pool.md): the cluster takes its id.
    const shell = hosts === undefined && this.#d.warmPool ? await this.#d.store.warmShells.pick(flavor, nodeCount) : undefined;
    const request = { account, name: input.name, flavor, nodeCount, autoscale: input.autoscale ?? CREATE_DEFAULTS.autoscale };
    let cluster: Cluster;
    try {
      cluster = await this.#insert(request, shell ? { id: shell.id, warmNodes: shell.nodeCount } : { id: fresh });
      if (shell) this.#d.warmPool?.taken();
    } catch (e) {
      if (!(e instanceof ShellTakenError)) throw e;
      cluster = await this.#insert(request, { id: fresh }); // another create took that shell first: this one starts cold
    }
    if (hosts !== undefined) await this.#recordPlacements(cluster, hosts.map((host, index) => ({ index, host })), () => this.#d.store.clusters.delete(cluster.id));
    await this.#d.endpoints?.refresh(cluster.id);
    this.#d.scheduler.kick(cluster.id);
    return cluster;
  }

  /** Issues the key material and stores the cluster with it and its first event, all or nothing; `warmNodes`: it takes over the shell `id`. */
  async #insert(r: { account: Account; name: string; flavor: string; nodeCount: number; autoscale: boolean }, as: { id: string; warmNodes?: number }): Promise<Cluster> {
    const { account, name, flavor, nodeCount } = r;
    const pki = await this.#d.pki.createClusterPki({
      clusterId: as.id,
      clusterName: name,
      accountName: account.name,
      dnsNames: this.#d.dnsNames({ id: as.id, name, accountName: account.name }),
      ipAddresses: this.#d.ipAddresses,
    });
    const warm = as.warmNodes === undefined ? '' : ` (${as.warmNodes} of them already running, from the warm pool)`;
    return this.#d.store.clusters.createWithinQuota(
      { id: as.id, accountId: account.id, name, flavor, nodeCount, autoscale: r.autoscale, pki, createdEvent: `cluster requested with ${nodeCount} node(s) of flavor ${flavor}${warm}`, fromShell: as.warmNodes !== undefined },
      this.#d.portRange,
    );
  }

  /**
   * The hosts `count` new nodes of a cluster go on (issue 13), or undefined when no host is registered
   * (every node runs on the local engine); CARINA_ERR_NO_CAPACITY, saying what is missing, when they do not all fit.
   */
  async #chooseHosts(clusterId: string, flavor: Flavor, count: number): Promise<readonly string[] | undefined> {
    const hosts = await this.#d.store.hosts.list();
    if (hosts.length === 0) return undefined;
    const pool = placementPool(hosts, await this.#d.store.hosts.placedNodes(), FLAVORS);
    const outcome = placeNodes(pool, { clusterId, count, flavor });
    if (!outcome.ok) {
      throw new CarinaError(ErrorCode.NO_CAPACITY, outcome.message, { details: { needed: outcome.needed, fits: outcome.fits } });
    }
    return outcome.hosts;
  }

  /** Stores where new nodes go; when a host was drained or removed since it was chosen, `undo` and NO_CAPACITY. */
  async #recordPlacements(cluster: Cluster, placements: readonly { index: number; host: string }[], undo: () => Promise<void>): Promise<void> {
    const placed = await this.#d.store.hosts.place(cluster.id, placements);
    if (placed.ok) return;
    await undo();
    throw new CarinaError(ErrorCode.NO_CAPACITY, `no room for the node(s) of "${cluster.name}": ${placed.reason}; try again`);
  }

  /** The hosts of `more` new nodes of a cluster placed on hosts (undefined for a cluster on the local engine, or none to add). */
  async #hostsForMore(cluster: Cluster, more: number): Promise<readonly string[] | undefined> {
    if (more <= 0) return undefined;
    if ((await this.#d.store.hosts.placementsOf(cluster.id)).length === 0) return undefined; // a cluster made before hosts were registered stays local
    return this.#chooseHosts(cluster.id, findFlavor(cluster.flavor) as Flavor, more);
  }

  /** Records the hosts of nodes `from`… of a grown cluster; refused, the node count goes back to `from`. */
  async #placeMore(cluster: Cluster, from: number, hosts: readonly string[] | undefined, account: Account): Promise<void> {
    if (hosts === undefined) return;
    // A stand-in at a new index (a drain's, HostMonitor) becomes that node where it runs: not placed anew elsewhere, which would leave its container behind.
    const standIns = new Map((await this.#d.store.hosts.placementsOf(cluster.id)).filter((p) => p.standIn === true).map((p) => [p.index, p.host]));
    const placements = hosts.map((host, i) => ({ index: from + i, host: standIns.get(from + i) ?? host }));
    await this.#recordPlacements(cluster, placements, async () => {
      await this.#d.store.clusters.resize(cluster.id, from, account.quotaNodes);
    });
  }

  /** A page of the account's clusters by name, and the cursor of the next page (null on the last). */
  async list(account: Account, page: { after?: string | undefined; limit: number }): Promise<{ clusters: ClusterSummary[]; next: string | null }> {
    // One more than asked for tells whether another page follows.
    const rows = await this.#d.store.clusters.listByAccount(account.id, { after: page.after, limit: page.limit + 1 });
    const clusters = rows.slice(0, page.limit);
    const ready = await this.#d.store.clusters.countReadyNodes(clusters.map((c) => c.id));
    return {
      clusters: clusters.map((cluster) => ({ cluster, readyNodes: ready.get(cluster.id) ?? 0 })),
      next: rows.length > page.limit ? (clusters.at(-1)?.name ?? null) : null,
    };
  }

  /**
   * Changes whenever anything the account's list shows changes, whoever wrote it (the store's
   * triggers raise it): a page answered at one version still holds while the version does.
   */
  listVersion(account: Account): Promise<number> {
    return this.#d.store.clusters.listVersion(account.id);
  }

  /** The cluster, or CLUSTER_NOT_FOUND — also for another account's cluster, which must not be revealed. */
  async get(account: Account, name: string): Promise<Cluster> {
    const cluster = await this.#d.store.clusters.get(account.id, name);
    if (!cluster) {
      throw new CarinaError(ErrorCode.CLUSTER_NOT_FOUND, `no cluster named "${name}"`, { details: { cluster: name } });
    }
    return cluster;
  }

  /** The cluster with its nodes as last observed. */
  async detail(account: Account, name: string): Promise<ClusterSummary & { nodes: ClusterNode[] }> {
    const cluster = await this.get(account, name);
    const nodes = await this.#d.store.clusters.listNodes(cluster.id);
    return { cluster, nodes, readyNodes: nodes.filter((n) => n.status === 'ready').length };
  }

  /** The account's quotas and the clusters it has. */
  async quotas(account: Account): Promise<QuotaUse> {
    const clusters = await this.#d.store.clusters.countByAccount(account.id);
    return { maxClusters: account.quotaClusters, maxNodesPerCluster: account.quotaNodes, clusters };
  }

  async grow(account: Account, name: string, by: number): Promise<Cluster> {
    const cluster = await this.get(account, name);
    const hosts = await this.#hostsForMore(cluster, by);
    const outcome = await this.#d.store.clusters.grow(cluster.id, by, account.quotaNodes);
    if (!outcome.ok) throw new CarinaError(ErrorCode.INVALID_STATE, outcome.reason);
    await this.#placeMore(outcome.cluster, cluster.nodeCount, hosts, account);
    await this.#d.store.events.append(cluster.id, 'grow', `growing ${outcome.cluster.nodeCount - by} → ${outcome.cluster.nodeCount} node(s)`);
    this.#d.scheduler.kick(cluster.id);
    return outcome.cluster;
  }

  /** Sets the node count; fewer nodes drains and removes the highest-numbered workers. */
  async resize(account: Account, name: string, count: number): Promise<Cluster> {
    const cluster = await this.get(account, name);
    const hosts = await this.#hostsForMore(cluster, count - cluster.nodeCount);
    const outcome = await this.#d.store.clusters.resize(cluster.id, count, account.quotaNodes);
    if (!outcome.ok) throw new CarinaError(ErrorCode.INVALID_STATE, outcome.reason);
    await this.#placeMore(outcome.cluster, cluster.nodeCount, hosts, account);
    const verb = count > cluster.nodeCount ? 'growing' : 'shrinking';
    await this.#d.store.events.append(cluster.id, 'resize', `${verb} ${cluster.nodeCount} → ${count} node(s)`);
    this.#d.scheduler.kick(cluster.id);
    return outcome.cluster;
  }

  async rebuild(account: Account, name: string): Promise<Cluster> {
    const cluster = await this.get(account, name);
    const outcome = await this.#d.store.clusters.transition(cluster.id, 'rebuild', { failures: 0 });
    if (!outcome.ok) throw new CarinaError(ErrorCode.INVALID_STATE, outcome.reason);
    await this.#d.store.events.append(cluster.id, 'rebuild', `rebuild requested (was ${outcome.from})`);
    this.#d.scheduler.kick(cluster.id);
    return outcome.cluster;
  }

  async setAutoscale(account: Account, name: string, enabled: boolean): Promise<Cluster> {
    const cluster = await this.get(account, name);
    const updated = await this.#d.store.clusters.update(cluster.id, { autoscale: enabled });
    if (cluster.autoscale !== enabled) {
      await this.#d.store.events.append(cluster.id, 'autoscale', `autoscale turned ${enabled ? 'on' : 'off'}`);
    }
    return updated;
  }

  async delete(account: Account, name: string): Promise<Cluster> {
    const cluster = await this.get(account, name);
    const outcome = await this.#d.store.clusters.transition(cluster.id, 'delete', { failures: 0 });
    if (!outcome.ok) throw new CarinaError(ErrorCode.INVALID_STATE, outcome.reason);
    if (outcome.from !== 'deleting') await this.#d.store.events.append(cluster.id, 'delete', 'delete requested');
    this.#d.scheduler.kick(cluster.id);
    return outcome.cluster;
  }

  /**
   * The cluster's credentials bundle for the docker client; `unchanged` (and no archive built) when
   * `heldSerials` names the current client certificate, whose bundle the caller already has.
   */
  async credentialsBundle(account: Account, name: string, heldSerials: readonly string[] = []): Promise<CredentialsBundle> {
    const { cluster, pki } = await this.#credentials(account, name);
    const clientSerial = pki.clientSerial;
    if (heldSerials.includes(clientSerial)) return { kind: 'unchanged', cluster, clientSerial };
    const registry = this.#d.registryAddress === undefined ? undefined : { address: this.#d.registryAddress, namespace: cluster.accountName };
    const archive = await this.#d.bundles.zip({ pki, clusterName: cluster.name, host: this.#d.endpointHost, port: cluster.port, registry });
    return { kind: 'bundle', cluster, clientSerial, archive };
  }

  /** Key material for the credentials bundle. */
  async #credentials(account: Account, name: string): Promise<{ cluster: Cluster; pki: ClusterPki }> {
    const cluster = await this.get(account, name);
    if (cluster.status === 'deleting') {
      throw new CarinaError(ErrorCode.INVALID_STATE, `cluster "${name}" is being deleted: its credentials are no longer offered`);
    }
    const pki = await this.#d.store.clusters.getPki(cluster.id);
    if (!pki) throw new CarinaError(ErrorCode.CREDENTIALS_NOT_READY, `credentials of "${name}" are not ready yet: retry in a few seconds`);
    return { cluster, pki };
  }

  /**
   * Issues a new client certificate from the cluster's CA and makes the gateway refuse the previous one
   * before returning; the account downloads a new bundle afterwards.
   */
  async rotateCredentials(account: Account, name: string): Promise<{ cluster: Cluster; clientSerial: string }> {
    const { cluster, pki } = await this.#credentials(account, name);
    const client = await this.#d.pki.issueClientCert(pki, account.name);
    await this.#d.store.clusters.putPki(cluster.id, { ...pki, ...client });
    await this.#d.endpoints?.refresh(cluster.id);
    await this.#d.store.events.append(cluster.id, 'credentials', `client certificate rotated (serial ${client.clientSerial}); the previous one is refused`);
    return { cluster, clientSerial: client.clientSerial };
  }

  /** The gateway's audit log of the cluster's Docker API requests. */
  async audit(account: Account, name: string, options: { afterId?: number; limit?: number } = {}): Promise<AuditEntry[]> {
    const cluster = await this.get(account, name);
    return this.#d.store.audit.list(cluster.id, options);
  }

  async usage(account: Account, name: string): Promise<{ cluster: Cluster; usage: ClusterUsage }> {
    const cluster = await this.get(account, name);
    if (cluster.status === 'deleting' || cluster.status === 'new') return { cluster, usage: { nodes: [] } };
    return { cluster, usage: await this.#d.usage(cluster) };
  }

  async events(account: Account, name: string, afterId?: number): Promise<ClusterEvent[]> {
    const cluster = await this.get(account, name);
    return this.#d.store.events.list(cluster.id, afterId === undefined ? {} : { afterId });
  }

  /** The events of all the account's clusters after `afterId`, in id order, at most 1000. */
  async accountEvents(account: Account, afterId: number): Promise<LoggedEvent[]> {
    return this.#d.store.events.since(afterId, 1000, account.id);
  }
}
