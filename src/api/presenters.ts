import { findFlavor, type Flavor } from '../core/flavors.js';
import type { Cluster, ClusterEvent, ClusterNode } from '../core/types.js';

/** The public JSON shape of a cluster (stable field names; documented in the OpenAPI document). */
export function presentCluster(c: Cluster, nodes: readonly ClusterNode[] | undefined, endpointHost: string) {
  return {
    id: c.id,
    name: c.name,
    flavor: c.flavor,
    nodes: c.nodeCount,
    nodes_ready: nodes ? nodes.filter((n) => n.status === 'ready').length : null,
    autoscale: c.autoscale,
    status: c.status,
    status_reason: c.statusReason,
    endpoint: `tcp://${endpointHost}:${c.port}`,
    created_at: c.createdAt.toISOString(),
    updated_at: c.updatedAt.toISOString(),
  };
}

export function presentNode(n: ClusterNode) {
  return { index: n.index, role: n.role, status: n.status, address: n.address, container_id: n.containerId };
}

export function presentEvent(e: ClusterEvent) {
  return { id: e.id, time: e.at.toISOString(), type: e.type, message: e.message };
}

export function presentFlavor(f: Flavor) {
  return { name: f.name, memory_bytes: f.memoryBytes, memory: `${f.memoryBytes / 1024 ** 3} GiB`, vcpus: f.vcpus, disk_gb: f.diskGb };
}

/** A flavor by name for presenting; undefined if unknown. */
export const flavorNamed = findFlavor;
