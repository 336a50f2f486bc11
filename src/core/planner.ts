import { nodeHostname } from './node-hostname.js';
import { roleOf, type ClusterStatus, type NodeRole } from './types.js';

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
  /** The name its engine reports (`docker info` Name, what swarm shows); null when the engine does not answer. */
  readonly hostname: string | null;
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
  /**
   * The node whose engine listed `members` (a reachable swarm manager); absent: node 0, when it is in
   * a swarm. With several managers it is the lowest index whose engine manages, so a cluster whose
   * node 0 is gone is still led through node 1 or 2.
   */
  readonly membersFrom?: number | null;
  /** Nodes whose engines report that they manage a swarm (Swarm.ControlAvailable); absent: none known. */
  readonly managing?: readonly number[];
}

/** What the user asked for. */
export interface DesiredCluster {
  readonly status: ClusterStatus;
  readonly nodeCount: number;
  /** Swarm managers wanted: nodes 0 … managers − 1 manage (default 1; see managerSeats). */
  readonly managers?: number;
  /** The cluster's name: its nodes are named after it (`nodeHostname`); absent, names are not looked at. */
  readonly name?: string;
  /**
   * Nodes wanted beyond `nodeCount` for a while: stand-ins that join while nodes move off a draining
   * host (HostMonitor), as workers. Once released, a stand-in is surplus and leaves gently.
   */
  readonly standIns?: readonly number[];
}

/** One step toward the desired state; every action is idempotent. */
export type Action =
  | { readonly type: 'createNetwork' }
  | { readonly type: 'createNode'; readonly index: number; readonly role: NodeRole; readonly standIn?: true }
  | { readonly type: 'startNode'; readonly index: number }
  | { readonly type: 'restartNode'; readonly index: number }
  | { readonly type: 'removeNode'; readonly index: number }
  | { readonly type: 'removeVolume'; readonly index: number }
  | { readonly type: 'removeNetwork' }
  | { readonly type: 'loadWorkloadImage'; readonly index: number }
  // A node built before its cluster had a name (a warm shell, docs/warm-pool.md) is named after it.
  | { readonly type: 'nameNode'; readonly index: number }
  | { readonly type: 'swarmInit' }
  // The one manager left of a swarm that lost its quorum starts a new raft of its own from the state it holds.
  | { readonly type: 'forceNewCluster'; readonly via: number }
  // `via`: the node whose engine manages the swarm, through which the step is taken.
  | { readonly type: 'swarmJoin'; readonly index: number; readonly role: NodeRole; readonly via: number }
  | { readonly type: 'setRole'; readonly index: number; readonly memberId: string; readonly role: NodeRole; readonly via: number }
  | { readonly type: 'removeSwarmMember'; readonly memberId: string; readonly via: number }
  | { readonly type: 'drainNode'; readonly index: number; readonly memberId: string; readonly via: number }
  | { readonly type: 'decommissionNode'; readonly index: number; readonly memberId: string; readonly via: number }
  | { readonly type: 'markActive' }
  | { readonly type: 'finalizeDelete' };

/** The next batch of independent actions (safe to run in parallel), or what the cluster waits for. */
export type Plan =
  | { readonly kind: 'act'; readonly actions: readonly Action[] }
  | { readonly kind: 'wait'; readonly reason: string }
  | { readonly kind: 'done' };

/**
 * How many swarm managers a cluster runs: 3 on 3 distinct hosts when it has at least 3 nodes and its
 * nodes 0, 1 and 2 are placed on 3 different registered hosts (losing any one host then loses no swarm
 * state: the other two keep the quorum), else 1 (node 0). On one machine more managers would survive
 * nothing a single manager doesn't, and 2 hosts cannot hold a quorum that outlives either of them.
 */
export function managerSeats(nodeCount: number, hosts: ReadonlyMap<number, string> | undefined): number {
  if (nodeCount < 3 || hosts === undefined) return 1;
  const seats = [hosts.get(0), hosts.get(1), hosts.get(2)];
  return seats.every((h) => h !== undefined) && new Set(seats).size === 3 ? 3 : 1;
}

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
  const managers = desired.managers ?? 1;

  const byIndex = new Map(observed.nodes.map((n) => [n.index, n]));
  const standIns = new Set((desired.standIns ?? []).filter((i) => i >= desired.nodeCount));
  const isWanted = (index: number) => index < desired.nodeCount || standIns.has(index);
  const containerSteps: Action[] = [];
  for (const index of [...Array.from({ length: desired.nodeCount }, (_, i) => i), ...[...standIns].sort((x, y) => x - y)]) {
    const node = byIndex.get(index);
    if (!node) containerSteps.push(standIns.has(index) ? { type: 'createNode', index, role: 'worker', standIn: true } : { type: 'createNode', index, role: roleOf(index, managers) });
    else if (!node.running) containerSteps.push({ type: 'startNode', index });
  }
  if (containerSteps.length > 0) return act(containerSteps);

  const wanted = observed.nodes.filter((n) => isWanted(n.index));
  const down = wanted.filter((n) => !n.engineUp);
  if (down.length > 0) return wait(`engine of node ${down.map((n) => n.index).join(', ')} to answer`);
  const stale = wanted.filter((n) => n.procStale);
  if (stale.length > 0) return act(stale.map((n) => ({ type: 'restartNode', index: n.index })));
  // Named before any swarm step: a node's swarm shows the name it had at init or join for up to 20 s after a change.
  const { name } = desired;
  const unnamed = name === undefined ? [] : wanted.filter((n) => n.hostname !== null && n.hostname !== nodeHostname(name, n.index));
  if (unnamed.length > 0) return act(unnamed.map((n) => ({ type: 'nameNode', index: n.index })));

  const steps: Action[] = wanted.filter((n) => !n.hasWorkloadImage).map((n) => ({ type: 'loadWorkloadImage', index: n.index }));
  const survivor = lastManagerStanding(observed, wanted);
  if (survivor !== undefined) return act([...steps, { type: 'forceNewCluster', via: survivor }]);
  const anchor = anchorOf(observed, byIndex);
  if (anchor === undefined) {
    const first = byIndex.get(0);
    if (!first) return act(steps); // unreachable: node 0 was created above
    // Another manager that could not list the members now may do so again (its swarm lost its quorum
    // for a moment): a new swarm would split the cluster, so wait (a stall ends in `error` with the reason).
    const seated = (observed.managing ?? []).filter((i) => i > 0 && i < desired.nodeCount);
    if (seated.length > 0) return steps.length > 0 ? act(steps) : wait(`a swarm manager (node ${seated.join(', ')}) to list the swarm's members`);
    if (first.swarm === 'inactive') return act([...steps, { type: 'swarmInit' }]);
    return steps.length > 0 ? act(steps) : wait(`manager swarm state "${first.swarm ?? 'unknown'}"`);
  }
  const via = anchor.index;

  const others = wanted.filter((n) => n.index !== via);
  // A node whose join failed ('error', e.g. after a crash mid-join) joins again; the engine leaves first.
  for (const n of others) if (n.swarm === 'inactive' || n.swarm === 'error') steps.push({ type: 'swarmJoin', index: n.index, role: roleOf(n.index, managers), via });

  const members = observed.members;
  if (members) {
    const byId = new Map(members.map((m) => [m.id, m]));
    for (const n of others) {
      if (n.swarm !== 'active' || n.swarmNodeId === null) continue;
      const member = byId.get(n.swarmNodeId);
      // Active in some other swarm (the manager's swarm was re-formed): it joins this one.
      if (!member) steps.push({ type: 'swarmJoin', index: n.index, role: roleOf(n.index, managers), via });
      // In a seat it does not hold (a node re-created into a manager seat joined as a worker; a resize moved the seats).
      else if (member.ready && member.role !== roleOf(n.index, managers)) steps.push({ type: 'setRole', index: n.index, memberId: member.id, role: roleOf(n.index, managers), via });
    }
    const current = new Set(observed.nodes.map((n) => n.swarmNodeId).filter((id): id is string => id !== null));
    // Members no node is any more (a node re-created elsewhere joined under a new id); a manager is demoted first.
    for (const m of members) if (!current.has(m.id) && !m.ready) steps.push({ type: 'removeSwarmMember', memberId: m.id, via });
  }
  // Managers join one at a time (each is a change of the raft's membership, which the swarm makes one by one:
  // a second one proposed meanwhile fails and is retried after a back-off); workers all at once.
  const managerJoins = steps.filter((a) => a.type === 'swarmJoin' && a.role === 'manager');
  if (managerJoins.length > 1) for (const later of managerJoins.slice(1)) steps.splice(steps.indexOf(later), 1);
  const surplus = planSurplus(observed.nodes.filter((n) => !isWanted(n.index)), members, via);
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
 * The one manager left of a swarm that lost its quorum, if that is what is observed: no engine could list
 * the members, exactly one node manages (it is in the swarm), and every other wanted node is out of any
 * swarm (re-created on another host after its own was lost, it cannot join: the raft has no leader).
 * The swarm cannot heal by itself then — its other managers are gone for good, their containers
 * replaced — and a single-manager raft that did have its leader loses nothing by being started afresh
 * (`docker swarm init --force-new-cluster` keeps services, networks, secrets and configs).
 */
function lastManagerStanding(observed: ObservedCluster, wanted: readonly ObservedNode[]): number | undefined {
  if (observed.membersFrom !== null || observed.managing?.length !== 1) return undefined;
  const [survivor] = observed.managing;
  const others = wanted.filter((n) => n.index !== survivor);
  if (others.length === 0 || wanted.find((n) => n.index === survivor)?.swarm !== 'active') return undefined;
  return others.every((n) => n.swarm === 'inactive' || n.swarm === 'error') ? survivor : undefined;
}

/** The node through which the swarm is managed: the one that listed its members, else node 0 in a swarm. */
function anchorOf(observed: ObservedCluster, byIndex: ReadonlyMap<number, ObservedNode>): ObservedNode | undefined {
  if (observed.membersFrom !== undefined && observed.membersFrom !== null) return byIndex.get(observed.membersFrom);
  const first = byIndex.get(0);
  return first?.swarm === 'active' ? first : undefined;
}

/**
 * Nodes beyond the wanted count leave gently: drain (swarm moves their tasks elsewhere), wait until no
 * task runs there, then leave the swarm and go. A node that is not a working swarm member just goes.
 */
function planSurplus(nodes: readonly ObservedNode[], members: readonly ObservedSwarmMember[] | null, via: number): Plan {
  const actions: Action[] = [];
  const busy: number[] = [];
  for (const node of nodes) {
    const member = node.swarmNodeId ? members?.find((m) => m.id === node.swarmNodeId) : undefined;
    if (!node.running || !node.engineUp || !member || !member.ready) {
      actions.push({ type: 'removeNode', index: node.index });
    } else if (member.role === 'manager') {
      // Leaving as a manager would cost the swarm a voter it still counts on: a worker first.
      if (node.index !== via) actions.push({ type: 'setRole', index: node.index, memberId: member.id, role: 'worker', via });
    } else if (member.availability !== 'drain') {
      actions.push({ type: 'drainNode', index: node.index, memberId: member.id, via });
    } else if (member.tasks > 0) {
      busy.push(node.index);
    } else {
      actions.push({ type: 'decommissionNode', index: node.index, memberId: member.id, via });
    }
  }
  if (actions.length > 0) return act(actions);
  if (busy.length > 0) return wait(`tasks to move off draining node ${busy.join(', ')}`);
  return DONE;
}
