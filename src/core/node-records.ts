import type { ObservedCluster } from './planner.js';
import { roleOf, type ClusterNode, type ClusterStatus } from './types.js';

/** The states a node row records, from first seen to Swarm-Ready (and stopped). */
export const NODE_STATES = Object.freeze(['starting', 'joining', 'ready', 'stopped'] as const);
/** One of NODE_STATES. */
export type NodeState = (typeof NODE_STATES)[number];

/**
 * The node rows to store for what was observed of a cluster (the API shows them): stopped, starting
 * (its engine does not answer yet), joining (not a Ready swarm member yet) or ready. Null while the
 * cluster is being deleted: its rows go with its record.
 */
export function nodeRecords(cluster: { readonly id: string; readonly status: ClusterStatus }, observed: ObservedCluster): ClusterNode[] | null {
  if (cluster.status === 'deleting') return null;
  const ready = new Set((observed.members ?? []).filter((m) => m.ready).map((m) => m.id));
  const roles = new Map((observed.members ?? []).map((m) => [m.id, m.role]));
  return observed.nodes.map((n) => ({
    clusterId: cluster.id,
    index: n.index,
    // As the swarm lists it; before it is a member, the seat it was created for (node 0 manages).
    role: (n.swarmNodeId ? roles.get(n.swarmNodeId) : undefined) ?? roleOf(n.index),
    containerId: n.containerId,
    address: n.address,
    status: (!n.running ? 'stopped' : n.swarmNodeId && ready.has(n.swarmNodeId) ? 'ready' : n.engineUp ? 'joining' : 'starting') satisfies NodeState,
  }));
}
