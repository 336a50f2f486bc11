import type { ColumnType, Generated, Kysely } from 'kysely';
import type { Clock, Fence } from '../core/ports.js';
import type { EventCommits } from './event-commits.js';
import type { KeySealer } from './key-sealer.js';

/** Row of `accounts`. Timestamps are ISO-8601 strings (UTC, millisecond precision) in every dialect. */
export interface AccountsTable {
  id: string;
  name: string;
  key_hash: string;
  quota_clusters: number;
  quota_nodes: number;
  /** NULL: the server's default. A bigint: PostgreSQL hands it back as a string. */
  registry_quota_bytes: number | string | null;
  created_at: string;
  /** Raised by triggers on every change of what the account's cluster list shows (0011-list-version.ts); a bigint. */
  list_version: ColumnType<number | string, never, never>;
}

/** Row of `clusters`. `autoscale` is 0 or 1 so that both dialects store it the same way. */
export interface ClustersTable {
  id: string;
  account_id: string;
  name: string;
  flavor: string;
  node_count: number;
  autoscale: number;
  status: string;
  status_reason: string | null;
  port: number;
  failures: Generated<number>;
  created_at: string;
  updated_at: string;
}

/** Row of `cluster_pki`: PEM key material, one row per cluster; the `*_key` columns sealed (key-sealer.ts). */
export interface ClusterPkiTable {
  cluster_id: string;
  ca_cert: string;
  ca_key: string;
  server_cert: string;
  server_key: string;
  client_cert: string;
  client_key: string;
  client_serial: string;
  /** Raised by every write of the row (the gateway re-reads only changed ones). */
  version: Generated<number>;
}

/** Row of `nodes`, keyed by (cluster_id, idx). */
export interface NodesTable {
  cluster_id: string;
  idx: number;
  role: string;
  container_id: string | null;
  address: string | null;
  status: string;
}

/** Row of `events`; `id` is assigned by the database and only grows. */
export interface EventsTable {
  id: Generated<number>;
  cluster_id: string;
  at: string;
  type: string;
  message: string;
}

/** Row of `audit`: one Docker API request through the gateway; `id` only grows. */
export interface AuditTable {
  id: Generated<number>;
  cluster_id: string;
  at: string;
  account: string;
  method: string;
  path: string;
  status: number;
  cert_serial: string;
  denied_code: string | null;
}

export interface SessionsTable {
  id_hash: string;
  account_id: string;
  key_hash: string;
  csrf_token: string;
  created_at: string;
  expires_at: string;
}

/** Row of `leases`. A released lease keeps its row (holder '', expired) so its generation never goes back. */
export interface LeasesTable {
  name: string;
  holder: string;
  generation: Generated<number>;
  acquired_at: string;
  expires_at: string;
}

export interface KicksTable {
  cluster_id: string;
  at: string;
}

export interface AuthFailuresTable {
  bucket: string;
  window_start: string;
  failures: number;
}

/** Row of `hosts` (issue 13: docs/multi-host.md). The bigints come back from PostgreSQL as strings. */
export interface HostsTable {
  name: string;
  docker_host: string;
  tls_dir: string;
  state: string;
  allocatable_nano_cpus: number | string;
  allocatable_memory_bytes: number | string;
  created_at: string;
  updated_at: string;
  last_seen_at: string | null;
}

/** Row of `placements`, keyed by (cluster_id, idx): the host a node runs on. `stand_in` is 0 or 1 (0013-stand-ins.ts). */
export interface PlacementsTable {
  cluster_id: string;
  idx: number;
  host: string;
  stand_in: Generated<number>;
}

/** Row of `warm_shells` (0012-warm-shells.ts): a cluster built ahead of any request. `ready` is 0 or 1. */
export interface WarmShellsTable {
  id: string;
  flavor: string;
  node_count: number;
  port: number;
  ready: Generated<number>;
  created_at: string;
}

/** The schema as Kysely sees it. */
export interface Database {
  accounts: AccountsTable;
  clusters: ClustersTable;
  cluster_pki: ClusterPkiTable;
  nodes: NodesTable;
  events: EventsTable;
  audit: AuditTable;
  sessions: SessionsTable;
  leases: LeasesTable;
  kicks: KicksTable;
  auth_failures: AuthFailuresTable;
  hosts: HostsTable;
  placements: PlacementsTable;
  warm_shells: WarmShellsTable;
}

/** The SQL dialects the store speaks. */
export type DialectKind = 'sqlite' | 'postgres';

/** What every repository needs: the connection, which dialect it is, and the clock for timestamps. */
export interface StoreContext {
  readonly db: Kysely<Database>;
  readonly dialect: DialectKind;
  readonly clock: Clock;
  /** Seals private keys in `cluster_pki`. */
  readonly sealer: KeySealer;
  /** Set in a leader's view of the store (`Store.fenced`): its writes check this fence first (fencing.ts). */
  readonly fence?: () => Fence | undefined;
  /** Told after events are committed (EventRepository.onCommit); every view of one store shares it. */
  readonly eventCommits?: EventCommits;
}

/** Tells the listeners of `ctx` that this process has just committed events. */
export function eventsCommitted(ctx: StoreContext): void {
  ctx.eventCommits?.committed();
}

/** The current time as stored in timestamp columns. */
export function nowIso(ctx: StoreContext): string {
  return ctx.clock.now().toISOString();
}
