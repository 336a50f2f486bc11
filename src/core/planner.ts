import type { ClusterStatus, NodeRole } from './types.js';

/** Swarm membership of a node's engine as it reports it (`docker info` → Swarm.LocalNodeState). */
export type SwarmState = 'inactive' | 'pending' | 'active' | 'error' | 'locked';

/** One node container as observed on the engine. */
export interface ObservedNode {
  readonly index: number;
  readonly containerId: string;
  readonly running: boolean;
  /** The node's inner engine answered on its socket. */
  readonly engineUp: boolean;
  readonly swarm: SwarmState | null;
  readonly swarmNodeId: string | null;
  readonly hasWorkloadImage: boolean;
  /**
   * The node's engine reports no memory: its /proc files (bound from the host's lxcfs) no longer
   * answer, as after lxcfs ended and was started again. A restart binds them afresh.
   */
  readonly procStale: boolean;
  readonly address: string | null;
}

/** A member of the swarm as the manager lists it. */
export interface ObservedSwarmMember {
  readonly id: string;
  readonly ready: boolean;
  readonly role: NodeRole;
  /** Scheduling availability: active | pause | drain. */
  readonly availability: string;
  /** Tasks currently running on this member. */
  readonly tasks: number;
}

/** Everything the reconciler observed of one cluster on the engine. */
export interface ObservedCluster {
  readonly networkExists: boolean;
  readonly nodes: readonly ObservedNode[];
  /** Node indexes that have a data volume. */
  readonly volumes: readonly number[];
  /** The swarm's members as the manager reports them; null when the manager can't be asked. */
  readonly members: readonly ObservedSwarmMember[] | null;
}

/** What the user asked for. */
export interface DesiredCluster {
  readonly status: ClusterStatus;
  readonly nodeCount: number;
}

/** One step toward the desired state; every action is idempotent. */
export type Action =
  | { readonly type: 'createNetwork' }
  | { readonly type: 'createNode'; readonly index: number; readonly role: NodeRole }
  | { readonly type: 'startNode'; readonly index: number }
  | { readonly type: 'restartNode'; readonly index: number }
  | { readonly type: 'removeNode'; readonly index: number }
  | { readonly type: 'removeVolume'; readonly index: number }
  | { readonly type: 'removeNetwork' }
  | { readonly type: 'loadWorkloadImage'; readonly index: number }
  | { readonly type: 'swarmInit' }
  | { readonly type: 'swarmJoin'; readonly index: number }
  | { readonly type: 'removeSwarmMember'; readonly memberId: string }
  | { readonly type: 'drainNode'; readonly index: number; readonly memberId: string }
  | { readonly type: 'decommissionNode'; readonly index: number; readonly memberId: string }
  | { readonly type: 'markActive' }
  | { readonly type: 'finalizeDelete' };

/** The next batch of independent actions (safe to run in parallel), or what the cluster waits for. */
export type Plan =
  | { readonly kind: 'act'; readonly actions: readonly Action[] }
  | { readonly kind: 'wait'; readonly reason: string }
  | { readonly kind: 'done' };

/** A cluster still being built has never had a swarm: initialising one loses nothing. */
export function formsFirstSwarm(status: ClusterStatus): boolean {
  return status === 'new' || status === 'building';
}

const act = (actions: readonly Action[]): Plan => ({ kind: 'act', actions });
const wait = (reason: string): Plan => ({ kind: 'wait', reason });
const DONE: Plan = Object.freeze({ kind: 'done' });

/** Pure planner: compares desired and observed state and returns the next step. */
export function plan(desired: DesiredCluster, observed: ObservedCluster): Plan {
  if (desired.status === 'deleting') return planDelete(observed);
  if (desired.status === 'error') return DONE; // waits for the user: rebuild or delete
  return planConverge(desired, observed);
}

function planDelete(observed: ObservedCluster): Plan {
  if (observed.nodes.length > 0) return act(observed.nodes.map((n) => ({ type: 'removeNode', index: n.index })));
  if (observed.volumes.length > 0) return act(observed.volumes.map((index) => ({ type: 'removeVolume', index })));
  if (observed.networkExists) return act([{ type: 'removeNetwork' }]);
  return act([{ type: 'finalizeDelete' }]);
}

function planConverge(desired: DesiredCluster, observed: ObservedCluster): Plan {
  if (!observed.networkExists) return act([{ type: 'createNetwork' }]);

  const byIndex = new Map(observed.nodes.map((n) => [n.index, n]));
  const containerSteps: Action[] = [];
  for (let index = 0; index < desired.nodeCount; index++) {
    const node = byIndex.get(index);
    if (!node) containerSteps.push({ type: 'createNode', index, role: index === 0 ? 'manager' : 'worker' });
    else if (!node.running) containerSteps.push({ type: 'startNode', index });
  }
  if (containerSteps.length > 0) return act(containerSteps);

  const wanted = observed.nodes.filter((n) => n.index < desired.nodeCount);
  const down = wanted.filter((n) => !n.engineUp);
  if (down.length > 0) return wait(`engine of node ${down.map((n) => n.index).join(', ')} to answer`);
  const stale = wanted.filter((n) => n.procStale);
  if (stale.length > 0) return act(stale.map((n) => ({ type: 'restartNode', index: n.index })));

  const steps: Action[] = wanted.filter((n) => !n.hasWorkloadImage).map((n) => ({ type: 'loadWorkloadImage', index: n.index }));
  const manager = byIndex.get(0);
  if (!manager) return act(steps); // unreachable: node 0 was created above
  if (manager.swarm === 'inactive') return act([...steps, { type: 'swarmInit' }]);
  if (manager.swarm !== 'active') return steps.length > 0 ? act(steps) : wait(`manager swarm state "${manager.swarm ?? 'unknown'}"`);

  const workers = wanted.filter((n) => n.index > 0);
  // A worker whose join failed ('error', e.g. after a crash mid-join) joins again; the engine leaves first.
  for (const w of workers) if (w.swarm === 'inactive' || w.swarm === 'error') steps.push({ type: 'swarmJoin', index: w.index });

  const members = observed.members;
  if (members) {
    const memberIds = new Set(members.map((m) => m.id));
    // A worker that is active in some other swarm (the manager's swarm was re-formed) joins this one.
    for (const w of workers) {
      if (w.swarm === 'active' && w.swarmNodeId !== null && !memberIds.has(w.swarmNodeId)) steps.push({ type: 'swarmJoin', index: w.index });
    }
    const current = new Set(wanted.map((n) => n.swarmNodeId).filter((id): id is string => id !== null));
    for (const m of members) {
      if (!current.has(m.id) && !m.ready && m.role === 'worker') steps.push({ type: 'removeSwarmMember', memberId: m.id });
    }
  }
  const surplus = planSurplus(observed.nodes.filter((n) => n.index >= desired.nodeCount), members);
  if (surplus.kind === 'wait' && steps.length === 0) return surplus;
  if (surplus.kind === 'act') steps.push(...surplus.actions);
  if (steps.length > 0) return act(steps);
  if (!members) return wait('the manager to list swarm members');

  const readyIds = new Set(members.filter((m) => m.ready).map((m) => m.id));
  const notReady = wanted.filter((n) => n.swarmNodeId === null || !readyIds.has(n.swarmNodeId));
  if (notReady.length > 0) return wait(`node ${notReady.map((n) => n.index).join(', ')} to be Ready in the swarm`);
  if (desired.status !== 'active') return act([{ type: 'markActive' }]);
  return DONE;
}

/**
 * Nodes beyond the wanted count leave gently: drain (swarm moves their tasks elsewhere), wait until no
 * task runs there, then leave the swarm and go. A node that is not a working swarm member just goes.
 */
function planSurplus(nodes: readonly ObservedNode[], members: readonly ObservedSwarmMember[] | null): Plan {
  const actions: Action[] = [];
  const busy: number[] = [];
  for (const node of nodes) {
    const member = node.swarmNodeId ? members?.find((m) => m.id === node.swarmNodeId) : undefined;
    if (!node.running || !node.engineUp || !member || !member.ready || member.role !== 'worker') {
      actions.push({ type: 'removeNode', index: node.index });
    } else if (member.availability !== 'drain') {
      actions.push({ type: 'drainNode', index: node.index, memberId: member.id });
    } else if (member.tasks > 0) {
      busy.push(node.index);
    } else {
      actions.push({ type: 'decommissionNode', index: node.index, memberId: member.id });
    }
  }
  if (actions.length > 0) return act(actions);
  if (busy.length > 0) return wait(`tasks to move off draining node ${busy.join(', ')}`);
  return DONE;
}
