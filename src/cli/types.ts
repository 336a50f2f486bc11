/** Shapes of the public HTTP API as the CLI reads them (see /v1/openapi.json). */

/** Lifecycle statuses the API reports: new, building, active, growing, rebuilding, deleting, error. */
export type ClusterStatus = string;

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

/** One node of a cluster. */
export interface ClusterNode {
  readonly index: number;
  readonly role: string;
  readonly status: string;
  readonly address: string | null;
  readonly container_id: string | null;
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

/** A downloaded credentials bundle: the zip and the serial of its client certificate (the ETag). */
export interface Bundle {
  readonly zip: Buffer;
  readonly serial: string | undefined;
}
