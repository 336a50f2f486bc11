import { findFlavor, type Flavor } from '../core/flavors.js';
import type { AuditEntry } from '../core/ports.js';
import type { ClusterUsage } from '../core/autoscale.js';
import type { QuotaUse } from '../core/cluster-service.js';
import type { Cluster, ClusterEvent, ClusterNode } from '../core/types.js';
import type * as Json from '../wire/account-schemas.js';
import type * as Wire from '../wire/cluster-schemas.js';
import type * as Records from '../wire/cluster-record-schemas.js';

/** The public JSON shape of a cluster (stable field names; documented in the OpenAPI document). */
export function presentCluster(c: Cluster, nodesReady: number | null, endpointHost: string): Wire.Cluster {
  return {
    id: c.id,
    name: c.name,
    flavor: c.flavor,
    nodes: c.nodeCount,
    nodes_ready: nodesReady,
    autoscale: c.autoscale,
    status: c.status,
    status_reason: c.statusReason,
    endpoint: `tcp://${endpointHost}:${c.port}`,
    created_at: c.createdAt.toISOString(),
    updated_at: c.updatedAt.toISOString(),
  };
}

/** A node as its tenant sees it: its place, role, state and address in the cluster's network; not the host's container. */
export function presentNode(n: ClusterNode): Wire.ClusterNode {
  return { index: n.index, role: n.role, status: n.status, address: n.address };
}

/** The public JSON shape of an event. */
export function presentEvent(e: ClusterEvent): Records.ClusterEvent {
  return { id: e.id, time: e.at.toISOString(), type: e.type, message: e.message };
}

/** The public JSON shape of an audit entry. */
export function presentAuditEntry(e: AuditEntry): Records.AuditEntry {
  return {
    id: e.id,
    time: e.at.toISOString(),
    account: e.account,
    method: e.method,
    path: e.path,
    status: e.status,
    cert_serial: e.certSerial,
    denied_code: e.deniedCode,
  };
}

/** An account's quotas and the clusters it has. */
export function presentQuotas(q: QuotaUse): Json.Quotas {
  return { max_clusters: q.maxClusters, max_nodes_per_cluster: q.maxNodesPerCluster, clusters: q.clusters };
}

/** The public JSON shape of a flavor. */
export function presentFlavor(f: Flavor): Json.Flavor {
  return { name: f.name, memory_bytes: f.memoryBytes, memory: `${f.memoryBytes / 1024 ** 3} GiB`, vcpus: f.vcpus, disk_gb: f.diskGb };
}

/** A flavor by name for presenting; undefined if unknown. */
export const flavorNamed = findFlavor;

/** Usage per node and in total; CPU in vCPUs, memory in bytes; `used_*` null when not measured. */
export function presentUsage(c: Cluster, usage: ClusterUsage): Records.Usage {
  const flavor = findFlavor(c.flavor);
  const cpus = (nano: number) => Math.round(nano / 1e7) / 100;
  const nodes = usage.nodes.map((n) => ({
    index: n.index,
    capacity_cpus: flavor?.vcpus ?? null,
    capacity_memory_bytes: flavor?.memoryBytes ?? null,
    reserved_cpus: cpus(n.reservedNanoCpus),
    reserved_memory_bytes: n.reservedMemoryBytes,
    used_cpus: n.usedNanoCpus === null ? null : cpus(n.usedNanoCpus),
    used_memory_bytes: n.usedMemoryBytes,
    containers: n.containers,
    tasks: n.tasks,
  }));
  const sum = (f: (n: (typeof nodes)[number]) => number | null) =>
    nodes.some((n) => f(n) === null) ? null : nodes.reduce((a, n) => a + (f(n) ?? 0), 0);
  return {
    cluster: c.name,
    nodes,
    total: {
      capacity_cpus: sum((n) => n.capacity_cpus),
      capacity_memory_bytes: sum((n) => n.capacity_memory_bytes),
      reserved_cpus: Math.round((sum((n) => n.reserved_cpus) ?? 0) * 100) / 100,
      reserved_memory_bytes: sum((n) => n.reserved_memory_bytes),
      used_cpus: ((u) => (u === null ? null : Math.round(u * 100) / 100))(sum((n) => n.used_cpus)),
      used_memory_bytes: sum((n) => n.used_memory_bytes),
      containers: sum((n) => n.containers),
      tasks: sum((n) => n.tasks),
    },
  };
}
