import { describeCause } from '../core/errors.js';
import type { EndpointNotifier, Store } from '../core/ports.js';
import type { Log } from '../core/log.js';
import type { Telemetry } from '../core/telemetry.js';
import type { Cluster } from '../core/types.js';
import { ConnectionCaps } from '../net/connection-caps.js';
import { AuditLog } from './audit-log.js';
import { ClusterListener, listenerPki } from './cluster-listener.js';
import type { Upstream } from './upstream.js';

/** Where the gateway listens and how it reaches each cluster's manager engine. */
export interface GatewayOptions {
  readonly store: Store;
  /** Host address the cluster endpoints listen on (CARINA_PUBLISH_ADDRESS). */
  readonly host: string;
  /** Where a cluster's manager engine answers now (undefined while not known), by cluster id; asked per request. */
  readonly upstreamOf: (clusterId: string) => Upstream | undefined;
  /** Finds out where a cluster's manager engine answers (before its listener opens), so upstreamOf knows it. */
  readonly locate?: ((clusterId: string) => Promise<void>) | undefined;
  readonly log: Log;
  /** How often listeners are reconciled with the store (creations and deletions by other processes). */
  readonly syncIntervalMs?: number;
  readonly limits: GatewayLimits;
  /** Carina's registry address and the pull credential of a cluster's account, when a registry runs. */
  readonly registryPull?: ((cluster: Cluster) => Promise<{ address: string; header: string }>) | undefined;
  /** Where requests and bytes are counted (metrics; none by default). */
  readonly telemetry?: Telemetry | undefined;
  /** The clock of the full passes (Date.now by default). */
  readonly now?: () => number;
}

/**
 * A sync whose store version (ClusterRepository.endpointsVersion) has not moved since a pass that
 * left every listener in place does nothing; a whole pass runs at least this often anyway.
 */
const FULL_SYNC_MS = 30_000;

/**
 * Clusters a pass works on at once. Enough to overlap the store's and the kernel's waits; few enough
 * that the leader's lease renewal and the API's queries are not queued behind thousands of reads
 * (SQLite's one connection serves them in turn, and Kysely's lock wakes every waiter at each
 * release). Opening 10,000 listeners at once held the lease past its term and lost it, over and over
 * (bench:idle at 10,000 clusters, 2026-12-03).
 */
export const PASS_CONCURRENCY = 16;

/** Up to this many clusters a sync must open or update are read each by its id; more, all in one read. */
const READ_ONE_BY_ONE = 32;

/** Runs `fn` over `items`, at most `limit` at a time (`fn` does not reject). */
async function eachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** How long a client may take and how many connections it may hold; a cap of 0 is none. */
export interface GatewayLimits {
  /** For the TLS handshake, then for each request head (a whole request has no limit: streams). */
  readonly headersTimeoutMs: number;
  /** Connections open at once on all clusters' ports together. */
  readonly maxConnections: number;
  /** Connections open at once on one cluster's port. */
  readonly maxConnectionsPerCluster: number;
  /** Connections one client address holds at once, on all clusters' ports together. */
  readonly maxConnectionsPerAddress: number;
}

/**
 * The Docker API gateway: one mutual-TLS listener per cluster on `<host>:<cluster.port>`, forwarding
 * through the policy to the manager's unix socket. The only way into a cluster's engine.
 */
export class Gateway implements EndpointNotifier {
  readonly #o: GatewayOptions;
  readonly #audit: AuditLog;
  /** Shared by every listener, so a client spreading connections over many clusters' ports is still capped. */
  readonly #caps: ConnectionCaps;
  readonly #listeners = new Map<string, ClusterListener>();
  /** Per-cluster chains, so a sync and a refresh never race on one cluster's listener. */
  readonly #chains = new Map<string, Promise<void>>();
  readonly #failedPorts = new Set<number>();
  /** The key-material version each listener serves; a sync re-reads only clusters whose version moved. */
  readonly #versions = new Map<string, number>();
  /** The store's endpoints version the last whole pass read, undefined when the next pass must be whole. */
  #synced: string | undefined;
  /** Clusters whose listener could not open (its port taken), as the last whole pass read them: tried again every pass. */
  #retry = new Map<string, { readonly cluster: Cluster; readonly version: number | undefined }>();
  #syncedAt = 0;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: GatewayOptions) {
    this.#o = Object.freeze({ ...options });
    this.#audit = new AuditLog(options.store.audit, options.log);
    const { maxConnections: total, maxConnectionsPerAddress: perAddress } = options.limits;
    this.#caps = new ConnectionCaps({ scope: 'the gateway', perAddress, total, log: options.log });
  }

  /** Opens a listener for every cluster, then keeps them in step with the store. */
  async start(): Promise<void> {
    this.#closed = false; // a replica that leads again serves the gateways again
    await this.sync();
    this.#timer = setInterval(() => void this.sync(), this.#o.syncIntervalMs ?? 1_000);
    this.#timer.unref();
  }

  /**
   * One pass: a listener for each cluster that is not being deleted, none for the others. Reads
   * every cluster's endpoint (id, status, key-material version: one narrow read) only when the
   * store's endpoints version moved (one cheap read otherwise: an idle fleet of 1,000 clusters is not
   * read every second) or every FULL_SYNC_MS; in between, only the listeners that could not open are
   * tried again. Whole clusters are read only for the listeners to open or update.
   */
  async sync(): Promise<void> {
    try {
      const now = (this.#o.now ?? Date.now)();
      const version = await this.#o.store.clusters.endpointsVersion();
      if (version === this.#synced && now - this.#syncedAt < FULL_SYNC_MS) {
        await eachLimited([...this.#retry.values()], PASS_CONCURRENCY, ({ cluster, version: v }) => this.#serialised(cluster.id, () => this.#apply(cluster, v)));
        for (const id of this.#retry.keys()) if (this.#listeners.has(id)) this.#retry.delete(id);
        return;
      }
      this.#synced = undefined;
      const endpoints = await this.#o.store.clusters.listEndpoints();
      const ids = new Set(endpoints.map((e) => e.id));
      const leaving = endpoints.filter((e) => e.status === 'deleting' && this.#listeners.has(e.id)).map((e) => e.id);
      const gone = [...this.#listeners.keys()].filter((id) => !ids.has(id));
      const changed = endpoints.filter((e) => e.status !== 'deleting' && (!this.#listeners.has(e.id) || this.#versions.get(e.id) !== e.pkiVersion));
      const clusters = await this.#clusters(changed.map((e) => e.id));
      const versions = new Map(changed.map((e) => [e.id, e.pkiVersion]));
      await Promise.all([
        eachLimited(clusters, PASS_CONCURRENCY, (c) => this.#serialised(c.id, () => this.#apply(c, versions.get(c.id)))),
        eachLimited([...leaving, ...gone], PASS_CONCURRENCY, (id) => this.#serialised(id, () => this.#drop(id))),
      ]);
      // A listener that could not open (its port taken) is tried again every pass; a cluster without
      // key material has none to open until its material is stored, which moves the version.
      const unopened = clusters.filter((c) => c.status !== 'deleting' && versions.get(c.id) !== undefined && !this.#listeners.has(c.id));
      this.#retry = new Map(unopened.map((c) => [c.id, { cluster: c, version: versions.get(c.id) }]));
      [this.#synced, this.#syncedAt] = [version, now];
    } catch (e) {
      this.#o.log(`gateway: sync failed: ${describeCause(e)}`);
    }
  }

  /**
   * The clusters of `ids`, as the store has them now (one missing is gone): each read by its id
   * when few, or all in one read when many (a start-up opens every listener).
   */
  async #clusters(ids: readonly string[]): Promise<Cluster[]> {
    if (ids.length > READ_ONE_BY_ONE) {
      const wanted = new Set(ids);
      return (await this.#o.store.clusters.listAll()).filter((c) => wanted.has(c.id));
    }
    const read = await Promise.all(ids.map((id) => this.#o.store.clusters.getById(id)));
    return read.filter((c): c is Cluster => c !== undefined);
  }

  async refresh(clusterId: string): Promise<void> {
    this.#synced = undefined; // the next sync reads the cluster's key-material version again (see #apply)
    try {
      const cluster = await this.#o.store.clusters.getById(clusterId);
      await this.#serialised(clusterId, () => (cluster ? this.#apply(cluster) : this.#drop(clusterId)));
    } catch (e) {
      this.#o.log(`gateway: refresh of cluster ${clusterId} failed: ${describeCause(e)}`);
    }
  }

  /** Stops every listener and writes the pending audit entries. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#synced = undefined; // every listener goes: a start after this reads every cluster
    this.#retry.clear();
    if (this.#timer) clearInterval(this.#timer);
    await Promise.allSettled([...this.#chains.values()]);
    await Promise.all([...this.#listeners.keys()].map((id) => this.#drop(id)));
    await this.#audit.flush();
  }

  #serialised(clusterId: string, fn: () => Promise<void>): Promise<void> {
    const next = (this.#chains.get(clusterId) ?? Promise.resolve()).then(fn).catch((e: unknown) => {
      this.#o.log(`gateway: cluster ${clusterId}: ${describeCause(e)}`);
    });
    this.#chains.set(clusterId, next);
    void next.finally(() => {
      if (this.#chains.get(clusterId) === next) this.#chains.delete(clusterId);
    });
    return next;
  }

  /** Opens or updates the cluster's listener; `version` is the key-material version read with it (if known). */
  async #apply(cluster: Cluster, version?: number): Promise<void> {
    if (this.#closed || cluster.status === 'deleting') return this.#drop(cluster.id);
    const stored = await this.#o.store.clusters.getPki(cluster.id);
    if (!stored) return;
    const pki = listenerPki(stored);
    // Unknown (a refresh): the next sync reads the key material once more and records its version.
    if (version === undefined) this.#versions.delete(cluster.id);
    else this.#versions.set(cluster.id, version);
    const existing = this.#listeners.get(cluster.id);
    if (existing) return existing.update(pki);
    const registryPull = await this.#o.registryPull?.(cluster).catch((e: unknown) => {
      this.#o.log(`gateway: no registry pull credential for cluster ${cluster.id}: ${describeCause(e)}`);
      return undefined;
    });
    await this.#o.locate?.(cluster.id).catch((e: unknown) => {
      this.#o.log(`gateway: cluster ${cluster.id}'s manager engine not located yet (requests fail until it is): ${describeCause(e)}`);
    });
    const listener = new ClusterListener({
      registryPull,
      clusterId: cluster.id,
      clusterName: cluster.name,
      account: cluster.accountName,
      host: this.#o.host,
      port: cluster.port,
      upstream: () => this.#o.upstreamOf(cluster.id),
      pki,
      audit: this.#audit,
      log: this.#o.log,
      headersTimeoutMs: this.#o.limits.headersTimeoutMs,
      maxConnections: this.#o.limits.maxConnectionsPerCluster,
      caps: this.#caps,
      telemetry: this.#o.telemetry,
    });
    try {
      await listener.listen();
    } catch (e) {
      if (!this.#failedPorts.has(cluster.port)) {
        this.#o.log(`gateway: cannot listen on ${this.#o.host}:${cluster.port} for cluster ${cluster.accountName}/${cluster.name} (retrying): ${describeCause(e)}`);
      }
      this.#failedPorts.add(cluster.port);
      await listener.close();
      return;
    }
    this.#failedPorts.delete(cluster.port);
    this.#listeners.set(cluster.id, listener);
  }

  async #drop(clusterId: string): Promise<void> {
    this.#versions.delete(clusterId);
    const listener = this.#listeners.get(clusterId);
    if (!listener) return;
    this.#listeners.delete(clusterId);
    await listener.close();
  }
}
