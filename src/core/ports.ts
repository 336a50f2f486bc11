import type { Account, Cluster, ClusterEvent, ClusterNode, ClusterPki, ClusterStatus } from './types.js';
import type { Flavor } from './flavors.js';
import type { NodeRole } from './types.js';
import type { ObservedCluster } from './planner.js';
import type { ClusterUsage } from './autoscale.js';
import type { ClusterTrigger } from './cluster-state.js';
import type { HostRepository } from './host-ports.js';
import type { ShellToBuild, WarmShellRepository } from './warm-pool-ports.js';

export type { Host, HostEngines, HostRepository, NewHost, NodePlacement } from './host-ports.js';
export type { ShellToBuild, WarmShell, WarmShellRepository } from './warm-pool-ports.js';

// ---------------------------------------------------------------- store

/** Fields the reconciler or the API may change on a cluster. */
export interface ClusterPatch {
  readonly nodeCount?: number;
  readonly autoscale?: boolean;
  readonly statusReason?: string | null;
  readonly failures?: number;
}

/** A new cluster, before the store assigns its port. */
export interface NewCluster {
  readonly id: string;
  readonly accountId: string;
  readonly name: string;
  readonly flavor: string;
  readonly nodeCount: number;
  readonly autoscale: boolean;
  /** Its key material, written in the same transaction (a cluster never exists without it). */
  readonly pki?: ClusterPki;
  /** The message of its `created` event, written in the same transaction. */
  readonly createdEvent?: string;
  /**
   * Takes over the ready warm shell whose id is `id` (docs/warm-pool.md): its port instead of a free
   * one, its row deleted in the same transaction. ShellTakenError when no such ready shell is left.
   */
  readonly fromShell?: boolean;
}

/** Result of an atomic status change: the updated cluster, or why the transition was refused. */
export type TransitionOutcome =
  | { readonly ok: true; readonly cluster: Cluster; readonly from: ClusterStatus }
  | { readonly ok: false; readonly reason: string; readonly cluster: Cluster };

/** Persistence of accounts, clusters, nodes, events and key material. */
export interface Store {
  readonly accounts: AccountRepository;
  readonly clusters: ClusterRepository;
  readonly events: EventRepository;
  readonly audit: AuditRepository;
  readonly sessions: SessionRepository;
  readonly leases: LeaseRepository;
  readonly kicks: KickRepository;
  readonly authFailures: AuthFailureRepository;
  readonly hosts: HostRepository;
  readonly warmShells: WarmShellRepository;
  /**
   * The clusters and their events as a leader writes them: every write carries `fence()` and the
   * store refuses it (CARINA_ERR_FENCED, nothing changed), in the write's own transaction, unless
   * the lease still has that holder and generation and has not expired. `fence()` answering
   * undefined (this replica does not lead, or cannot be sure it still does) refuses at once.
   * Reads are not fenced; nor are the API's writes, which go through the store itself.
   */
  fenced(fence: () => Fence | undefined): FencedStore;
  close(): Promise<void>;
}

/** What a leader's writes are fenced with: the lease it holds and the generation of its tenure. */
export interface Fence {
  readonly lease: string;
  readonly holder: string;
  readonly generation: number;
}

/** The repositories whose writes are fenced (see `Store.fenced`). */
export interface FencedStore {
  readonly clusters: ClusterRepository;
  readonly events: EventRepository;
}

export interface AccountRepository {
  /** Throws CARINA_ERR_ACCOUNT_EXISTS if the name is taken. */
  create(input: { id: string; name: string; keyHash: string; quotaClusters: number; quotaNodes: number }): Promise<Account>;
  findByName(name: string): Promise<Account | undefined>;
  findById(id: string): Promise<Account | undefined>;
  list(): Promise<Account[]>;
  updateKeyHash(id: string, keyHash: string): Promise<void>;
  setQuota(id: string, quota: { clusters?: number; nodes?: number; registryBytes?: number }): Promise<Account>;
  delete(id: string): Promise<void>;
}

/** What a gateway needs to know of a cluster to keep its listener: `ClusterRepository.listEndpoints`. */
export interface ClusterEndpoint {
  readonly id: string;
  readonly status: ClusterStatus;
  readonly pkiVersion: number | undefined;
}

export interface ClusterRepository {
  /**
   * Inserts a cluster, atomically checking the account's cluster quota and the
   * name's uniqueness, and allocating a free host port from `portRange`.
   * Throws QUOTA_EXCEEDED, CLUSTER_EXISTS or PORTS_EXHAUSTED.
   */
  createWithinQuota(input: NewCluster, portRange: { from: number; to: number }): Promise<Cluster>;
  get(accountId: string, name: string): Promise<Cluster | undefined>;
  getById(id: string): Promise<Cluster | undefined>;
  /** An account's clusters by name; with `page`, at most `limit` of them whose names sort after `after`. */
  listByAccount(accountId: string, page?: { readonly after?: string | undefined; readonly limit: number }): Promise<Cluster[]>;
  listAll(): Promise<Cluster[]>;
  /** The clusters that autoscale, in the order of listAll (the autoscaler's pass reads no other). */
  listAutoscaled(): Promise<Cluster[]>;
  /** The ids of every cluster, or of those not in status `except`: what a periodic pass needs, without reading whole clusters. */
  listIds(filter?: { readonly except?: ClusterStatus }): Promise<string[]>;
  countByAccount(accountId: string): Promise<number>;
  /** Applies `trigger` through the state machine and `patch` in one transaction. */
  transition(id: string, trigger: ClusterTrigger, patch?: ClusterPatch & { statusReason?: string | null }): Promise<TransitionOutcome>;
  update(id: string, patch: ClusterPatch): Promise<Cluster>;
  /**
   * Adds `by` to the desired node count and applies the `grow` trigger in one transaction
   * (concurrent grows add up). Throws QUOTA_EXCEEDED when the result passes `maxNodes`.
   */
  grow(id: string, by: number, maxNodes: number): Promise<TransitionOutcome>;
  /**
   * Sets the desired node count: more → `grow`, fewer → `shrink` (never below 1). Throws
   * QUOTA_EXCEEDED past `maxNodes`. Equal → a refused outcome saying nothing changes.
   */
  resize(id: string, count: number, maxNodes: number): Promise<TransitionOutcome>;
  /** Deletes the cluster record with its nodes, events and key material. */
  delete(id: string): Promise<void>;
  putPki(id: string, pki: ClusterPki): Promise<void>;
  getPki(id: string): Promise<ClusterPki | undefined>;
  /**
   * Every cluster's id, status and key-material version (raised by each putPki; undefined before
   * the first): what a gateway's listeners depend on, in one narrow read (no cluster is mapped).
   */
  listEndpoints(): Promise<ClusterEndpoint[]>;
  replaceNodes(id: string, nodes: readonly ClusterNode[]): Promise<void>;
  listNodes(id: string): Promise<ClusterNode[]>;
  /**
   * A number that changes (it only grows) whenever anything an account's cluster list shows
   * changes — a cluster created, deleted or changed, a node added, removed or changing state —
   * whoever wrote it, in the same transaction; one cheap read. 0 for an unknown account.
   */
  listVersion(accountId: string): Promise<number>;
  /** How many nodes of each given cluster are Ready, in one query (0 for a cluster with none). */
  countReadyNodes(clusterIds: readonly string[]): Promise<Map<string, number>>;
  /** How many clusters are in each status, in one grouped query (a status none is in is missing). */
  countByStatus(): Promise<Map<ClusterStatus, number>>;
  /** How many nodes, of every cluster, are in each state (`NODE_STATES`) as last observed, in one grouped query. */
  countNodesByState(): Promise<Map<string, number>>;
  /**
   * Changes whenever any account's `listVersion` does (so whenever `countByStatus` or
   * `countNodesByState` could answer otherwise), and when an account comes or goes: the sum of the
   * versions and the number of accounts, in one read of the accounts table.
   */
  fleetVersion(): Promise<string>;
  /**
   * Changes whenever `fleetVersion` does or any cluster's key material is stored (`putPki`): what a
   * gateway's listeners depend on. Read before the clusters it guards, so a change made after it is
   * seen by the next read.
   */
  endpointsVersion(): Promise<string>;
}

export interface EventRepository {
  /** Ids only grow, and an event is never visible after one with a higher id (what a resumed stream relies on). */
  append(clusterId: string, type: string, message: string): Promise<ClusterEvent>;
  /** Events in time order, optionally only those after `afterId`. */
  list(clusterId: string, options?: { afterId?: number; limit?: number }): Promise<ClusterEvent[]>;
  /** Every cluster's events after `afterId` (all accounts, or one), in id order, at most `limit`: what live streams are fed from. */
  since(afterId: number, limit: number, accountId?: string): Promise<LoggedEvent[]>;
  /** The highest event id so far; 0 when there is none. */
  lastId(): Promise<number>;
  /** Which of `clusterIds` still exist (a deleted cluster's log goes with it). */
  existing(clusterIds: readonly string[]): Promise<string[]>;
  /**
   * Calls `listener` after events are committed — an append, a cluster created with its first event —
   * so live streams read them at once: synchronously after this process's own commits through any view
   * of this store; on PostgreSQL after other replicas' too (LISTEN/NOTIFY, told also when it listens
   * again after a lost connection). SQLite's other processes' events are found by polling. Returns how to stop.
   */
  onCommit(listener: () => void): () => void;
}

/** An event with the cluster and account it belongs to. */
export interface LoggedEvent extends ClusterEvent {
  readonly accountId: string;
  readonly clusterName: string;
}

/** One request through a cluster's Docker API gateway (no bodies; secrets in the query redacted). */
export interface AuditEntry {
  readonly id: number;
  readonly clusterId: string;
  readonly at: Date;
  readonly account: string;
  readonly method: string;
  readonly path: string;
  /** The HTTP status answered (101 for an upgraded attach/exec stream). */
  readonly status: number;
  readonly certSerial: string;
  /** The CARINA-10xx code when the gateway refused the request itself. */
  readonly deniedCode: string | null;
}

/** A cluster's audit log of Docker API requests. */
export interface AuditRepository {
  append(entry: Omit<AuditEntry, 'id' | 'at'>): Promise<AuditEntry>;
  /** Entries in time order, optionally only those after `afterId`. */
  list(clusterId: string, options?: { afterId?: number; limit?: number }): Promise<AuditEntry[]>;
  /** Deletes the entries of every cluster recorded before `cutoff` (retention); returns how many. */
  pruneBefore(cutoff: Date): Promise<number>;
}

/** A portal session as stored: keyed by the hash of its cookie value, never the value itself. */
export interface StoredSession {
  readonly idHash: string;
  readonly accountId: string;
  /** The account's key hash at sign-in: a rotated key ends the session. */
  readonly keyHash: string;
  readonly csrfToken: string;
  readonly createdAt: Date;
  readonly expiresAt: Date;
}

export interface SessionRepository {
  /** Stores a new session; then keeps at most `maxPerAccount` of the account's sessions (the oldest go). */
  create(session: StoredSession, maxPerAccount: number): Promise<void>;
  get(idHash: string): Promise<StoredSession | undefined>;
  delete(idHash: string): Promise<void>;
  /** Deletes every session that expired at or before `now`; returns how many. */
  deleteExpired(now: Date): Promise<number>;
}

/** Who holds a lease, and until when. */
export interface Lease {
  readonly name: string;
  readonly holder: string;
  /** Raised each time a new tenure begins (the lease was free, expired or another's): the fencing token. */
  readonly generation: number;
  readonly acquiredAt: Date;
  readonly expiresAt: Date;
}

/**
 * Named, expiring claims for replicas sharing one store. Times are the replicas' clocks, so
 * replicas must keep them close (NTP); the lease's length must be far above their skew.
 */
export interface LeaseRepository {
  /**
   * Takes or renews `name` for `holder` until `now + ttlMs`, atomically: succeeds when the lease is
   * free, expired at `now`, or already `holder`'s. Answers the lease when `holder` holds it now
   * (a renewal keeps its generation; any other taking raises it), else undefined.
   */
  acquire(name: string, holder: string, now: Date, ttlMs: number): Promise<Lease | undefined>;
  /** Whether `fence` still holds at the store's clock: the lease has its holder and generation and has not expired. */
  holds(fence: Fence): Promise<boolean>;
  /** Gives the lease up if `holder` holds it (a clean shutdown), so another replica need not wait; its generation stays. */
  release(name: string, holder: string): Promise<void>;
  get(name: string): Promise<Lease | undefined>;
}

/** Wrong API keys per bucket (client address + account) in fixed windows, shared by replicas. */
export interface AuthFailureRepository {
  /** Counts one failure of `bucket` at `now` (a new window begins when the last one is over). */
  record(bucket: string, now: Date, windowMs: number): Promise<void>;
  /** The bucket's failures in its current window, if that window is not over at `now`. */
  current(bucket: string, now: Date, windowMs: number): Promise<{ failures: number; windowStart: Date } | undefined>;
}

/** Requests, from a standby replica to the leader, to work on a cluster now. */
export interface KickRepository {
  /** Asks for `clusterId` to be worked on (once, however often it is asked before it is taken). */
  request(clusterId: string): Promise<void>;
  /** The clusters asked for since the last take, removing those requests. */
  take(): Promise<string[]>;
}

/** What serves cluster endpoints (the Docker API gateway): told at once when a cluster's key material changes. */
export interface EndpointNotifier {
  /** Re-reads the cluster (listener, certificates, current client serial); never throws. */
  refresh(clusterId: string): Promise<void>;
}

// ---------------------------------------------------------------- pki

/** What a cluster's server certificate must be valid for. */
export interface PkiSubject {
  readonly clusterId: string;
  readonly clusterName: string;
  readonly accountName: string;
  /** Stable DNS names (e.g. `<cluster>.<account>.carina.local`). */
  readonly dnsNames: readonly string[];
  /** Advertised IP addresses of the endpoint. */
  readonly ipAddresses: readonly string[];
}

/** Issues per-cluster key material with a real X.509 library. */
export interface Pki {
  createClusterPki(subject: PkiSubject): Promise<ClusterPki>;
  /** A new client certificate for `accountName` from the cluster's existing CA (credential rotation). */
  issueClientCert(pki: ClusterPki, accountName: string): Promise<Pick<ClusterPki, 'clientCert' | 'clientKey' | 'clientSerial'>>;
}

/** What a credentials bundle is built from: the cluster's key material and the endpoint its docker client calls. */
export interface BundleInput {
  readonly pki: ClusterPki;
  readonly clusterName: string;
  readonly host: string;
  readonly port: number;
  /** The account's registry (`HOST:PORT`) and namespace, named in the bundle's README; absent without one. */
  readonly registry?: { readonly address: string; readonly namespace: string } | undefined;
}

/** Packs a cluster's credentials bundle: CA and client certificates, client key, docker environment scripts. */
export interface CredentialsBundler {
  /** The bundle as a zip archive (never the CA or server keys). */
  zip(input: BundleInput): Promise<Uint8Array>;
}

// ---------------------------------------------------------------- clock

export interface Clock {
  now(): Date;
}

// ---------------------------------------------------------------- engine

/** What the engine adapter needs to know of a cluster to act on it. */
export interface EngineCluster {
  readonly id: string;
  readonly name: string;
  readonly accountName: string;
  readonly flavor: Flavor;
  /** Host port where the manager's TLS endpoint is published. */
  readonly port: number;
  readonly pki: ClusterPki;
  /** The registered host each node runs on, by node index (issue 13); none: every node runs on the local engine. */
  readonly hosts?: ReadonlyMap<number, string> | undefined;
  /** Stand-ins among `hosts` (nodes beyond the count while nodes move off a draining host; DesiredCluster.standIns). */
  readonly standIns?: readonly number[] | undefined;
}

/** What the engine needs to build a cluster's network and nodes: everything but its key material (a warm shell has none yet). */
export type EngineNodes = Omit<EngineCluster, 'pki'>;

/** The container engine, seen as clusters of node containers. Every operation is idempotent. */
export interface ClusterEngine {
  /** Builds or finds the node and workload images (slow the first time only). */
  prepare(): Promise<void>;
  observe(cluster: EngineCluster): Promise<ObservedCluster>;
  createNetwork(cluster: EngineCluster): Promise<void>;
  /** Builds a warm shell's network and nodes, engines answering, workload image loaded, swarm formed (idempotent). */
  buildShell(shell: ShellToBuild): Promise<void>;
  /** Names node `index` after its cluster (`nodeHostname`), now and at every start: a node of a warm shell. */
  nameNode(cluster: EngineCluster, index: number): Promise<void>;
  removeNetwork(cluster: EngineCluster): Promise<void>;
  /** Creates the node's volume and container, starts it and waits until its inner engine answers. */
  createNode(cluster: EngineCluster, index: number, role: NodeRole): Promise<void>;
  startNode(cluster: EngineCluster, index: number): Promise<void>;
  /** Restarts a running node's container (its /proc binds are made afresh) and waits for its engine. */
  restartNode(cluster: EngineCluster, index: number): Promise<void>;
  removeNode(cluster: EngineCluster, index: number): Promise<void>;
  removeVolume(cluster: EngineCluster, index: number): Promise<void>;
  loadWorkloadImage(cluster: EngineCluster, index: number): Promise<void>;
  swarmInit(cluster: EngineCluster): Promise<void>;
  /** Node `via`, the one manager left of a swarm without quorum, starts a new raft from the state it holds (`--force-new-cluster`). */
  forceNewCluster(cluster: EngineCluster, via: number): Promise<void>;
  /** Node `index` joins the swarm that node `via` manages, as a `role` (it leaves any swarm it is in first). */
  swarmJoin(cluster: EngineCluster, index: number, role: NodeRole, via: number): Promise<void>;
  /** Promotes or demotes a member (node `index`) through node `via`. */
  setRole(cluster: EngineCluster, index: number, memberId: string, role: NodeRole, via: number): Promise<void>;
  /** Removes a member no node is any more, through node `via`; a manager is demoted first. */
  removeSwarmMember(cluster: EngineCluster, memberId: string, via: number): Promise<void>;
  /** Sets a member's availability to drain: the swarm moves its tasks to other nodes. */
  drainNode(cluster: EngineCluster, memberId: string, via: number): Promise<void>;
  /** The node leaves the swarm, its member entry is removed (through node `via`), then its container and volume. */
  decommissionNode(cluster: EngineCluster, index: number, memberId: string, via: number): Promise<void>;
  /** Ids of every cluster that has objects on the engine (for orphan collection). */
  listClusterIds(): Promise<string[]>;
  /**
   * Whether the engines a cluster's nodes run on answer at all — the local engine, and each registered
   * host of its nodes (a restarting engine or a host not answering is not the cluster's failure).
   */
  available(cluster?: EngineCluster): Promise<boolean>;
  /** Removes every object of a cluster id (used for orphans whose record is gone). */
  purgeCluster(clusterId: string): Promise<void>;
  /** Reservations (and with `withStats`, measured use) per running node. */
  usage(cluster: EngineCluster, options: { withStats: boolean }): Promise<ClusterUsage>;
  /** Calls `onChange` with the cluster id whenever one of its node containers dies, stops or is removed. */
  watch(onChange: (clusterId: string) => void): { close(): void };
}
