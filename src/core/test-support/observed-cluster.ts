import type { ObservedCluster, ObservedNode, ObservedSwarmMember } from '../planner.js';

/** A running node whose engine answers, in the swarm as `s<index>`, with the workload image. */
export const node = (index: number, over: Partial<ObservedNode> = {}): ObservedNode => ({
  index,
  containerId: `c${index}`,
  running: true,
  engineUp: true,
  swarm: 'active',
  swarmNodeId: `s${index}`,
  hasWorkloadImage: true,
  procStale: false,
  address: `10.0.0.${index + 2}`,
  hostname: null,
  ...over,
});

/** A swarm member as the manager lists it (active availability, no task). */
export const member = (id: string, ready = true, role: 'manager' | 'worker' = 'worker', over: Partial<ObservedSwarmMember> = {}): ObservedSwarmMember => ({
  id,
  ready,
  role,
  availability: 'active',
  tasks: 0,
  ...over,
});

/** A converged cluster of `n` nodes: every node Ready in the swarm. */
export const healthy = (n: number): ObservedCluster => ({
  networkExists: true,
  nodes: Array.from({ length: n }, (_, i) => node(i)),
  volumes: Array.from({ length: n }, (_, i) => i),
  members: Array.from({ length: n }, (_, i) => member(`s${i}`, true, i === 0 ? 'manager' : 'worker')),
});

/** Nothing on the engine. */
export const empty: ObservedCluster = { networkExists: false, nodes: [], volumes: [], members: null };
