/**
 * The JSON shapes of the public HTTP API (documented in /v1/openapi.json), in one place: the server's
 * presenters are checked against them, and the CLI and the portal — two separate clients that may
 * not import the server — read responses through them. Types only: nothing here runs.
 */

/** Lifecycle statuses a cluster reports. */
export type ClusterStatus = 'new' | 'building' | 'active' | 'growing' | 'shrinking' | 'rebuilding' | 'deleting' | 'error';

/** One node of a cluster. */
export interface ClusterNode {
  readonly index: number;
  readonly role: string;
  readonly status: string;
  /** Its address in the cluster's own network (as `docker node inspect` shows it). */
  readonly address: string | null;
}

/** A cluster (`GET /v1/clusters/{name}` adds `node_details`). */
export interface Cluster {
  readonly id: string;
  readonly name: string;
  readonly flavor: string;
  readonly nodes: number;
  readonly nodes_ready: number | null;
  readonly autoscale: boolean;
  readonly status: ClusterStatus;
  readonly status_reason: string | null;
  readonly endpoint: string;
  readonly created_at: string;
  readonly updated_at: string;
  readonly node_details?: readonly ClusterNode[];
}

/** A page of `GET /v1/clusters`: pass `next` as `?after=` for the following page (null on the last). */
export interface ClusterList {
  readonly clusters: readonly Cluster[];
  readonly next: string | null;
}

/** An entry of a cluster's event log. */
export interface ClusterEvent {
  readonly id: number;
  readonly time: string;
  readonly type: string;
  readonly message: string;
}

/** The account's quotas and usage. */
export interface Quotas {
  readonly max_clusters: number;
  readonly max_nodes_per_cluster: number;
  readonly clusters: number;
}

/** A node size. */
export interface Flavor {
  readonly name: string;
  readonly memory_bytes: number;
  readonly memory: string;
  readonly vcpus: number;
  readonly disk_gb: number;
}

/** Figures of one node (or the total) in `GET /v1/clusters/{name}/usage`; CPU in vCPUs. */
export interface UsageFigures {
  readonly capacity_cpus: number | null;
  readonly capacity_memory_bytes: number | null;
  readonly reserved_cpus: number;
  readonly reserved_memory_bytes: number | null;
  readonly used_cpus: number | null;
  readonly used_memory_bytes: number | null;
  readonly containers: number | null;
  readonly tasks: number | null;
}

/** `GET /v1/clusters/{name}/usage`. */
export interface Usage {
  readonly cluster: string;
  readonly nodes: ReadonlyArray<UsageFigures & { readonly index: number }>;
  readonly total: UsageFigures;
}

/** A portal sign-in (`POST /v1/session`, `GET /v1/session`). */
export interface Session {
  readonly username: string;
  readonly csrf_token: string;
  readonly expires_at: string;
}
