/** Shapes of the public HTTP API as the portal reads them (see /v1/openapi.json). */

export type ClusterStatus = 'new' | 'building' | 'active' | 'growing' | 'shrinking' | 'rebuilding' | 'deleting' | 'error';

export interface ClusterNode {
  readonly index: number;
  readonly role: string;
  readonly status: string;
  readonly address: string | null;
  readonly container_id: string | null;
}

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

export interface ClusterEvent {
  readonly id: number;
  readonly time: string;
  readonly type: string;
  readonly message: string;
}

export interface Quotas {
  readonly max_clusters: number;
  readonly max_nodes_per_cluster: number;
  readonly clusters: number;
}

export interface Flavor {
  readonly name: string;
  readonly memory_bytes: number;
  readonly memory: string;
  readonly vcpus: number;
  readonly disk_gb: number;
}

export interface Session {
  readonly username: string;
  readonly csrf_token: string;
  readonly expires_at: string;
}
