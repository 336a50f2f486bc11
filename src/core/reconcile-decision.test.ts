import { describe, expect, it } from 'vitest';
import type { DesiredCluster, ObservedCluster } from './planner.js';
import { decide, progressed, startMemory, type Decision, type ReconcileMemory, type ReconcileTimings } from './reconcile-decision.js';
import { empty, healthy, member, node } from './test-support/observed-cluster.js';

const T0 = Date.parse('2026-12-01T10:00:00Z');
const TIMINGS: ReconcileTimings = { stallTimeoutMs: 120_000, swarmLossGraceMs: 10_000, repairWaitMs: 5_000 };
const mem = (over: Partial<ReconcileMemory> = {}): ReconcileMemory => ({ progressAt: T0, waitingFor: '', swarmLostAt: null, ...over });
const active = (nodeCount: number): DesiredCluster => ({ status: 'active', nodeCount });

const without = (o: ObservedCluster, index: number): ObservedCluster => ({ ...o, nodes: o.nodes.filter((n) => n.index !== index) });
const managerLeft: ObservedCluster = { ...healthy(2), nodes: [node(0, { swarm: 'inactive', swarmNodeId: null }), node(1)], members: null };
/** Nodes 1 and 2 re-created after their hosts were lost: node 0, the last manager, has no leader to list members with. */
const quorumLost: ObservedCluster = {
  ...healthy(3),
  nodes: [node(0), node(1, { swarm: 'inactive', swarmNodeId: null }), node(2, { swarm: 'inactive', swarmNodeId: null })],
  members: null,
  membersFrom: null,
  managing: [0],
};
const draining = (tasks: number): ObservedCluster => ({
  ...healthy(2),
  members: [member('s0', true, 'manager'), member('s1', true, 'worker', { availability: 'drain', tasks })],
});
const STALL_PAST = T0 + 120_001;

interface Row {
  readonly rule: string;
  readonly cluster: DesiredCluster;
  readonly observed: ObservedCluster;
  readonly now?: number;
  readonly memory?: ReconcileMemory;
  readonly expected: Decision;
}

// One row per rule: (cluster, observation, now, memory) → (repair, step, memory).
const ROWS: readonly Row[] = [
  // Repair: an active cluster that needs work says why and moves to rebuilding.
  { rule: 'converged active cluster: nothing to do', cluster: active(3), observed: healthy(3), expected: { repair: null, step: { kind: 'done' }, memory: mem() } },
  {
    rule: 'a node gone: re-created, announced as a repair',
    cluster: active(3),
    observed: without(healthy(3), 2),
    expected: { repair: 'node 2 is missing, re-creating it', step: { kind: 'act', actions: [{ type: 'createNode', index: 2, role: 'worker' }] }, memory: mem() },
  },
  {
    rule: 'a node stopped: started, announced as a repair',
    cluster: active(2),
    observed: { ...healthy(2), nodes: [node(0), node(1, { running: false })] },
    expected: { repair: 'node 1 stopped, restarting it', step: { kind: 'act', actions: [{ type: 'startNode', index: 1 }] }, memory: mem() },
  },
  {
    rule: "a node's engine down: waited on quietly at first (it may be restarting)",
    cluster: active(2),
    observed: { ...healthy(2), nodes: [node(0), node(1, { engineUp: false })] },
    now: T0 + 1_000,
    expected: { repair: null, step: { kind: 'wait', reason: 'engine of node 1 to answer' }, memory: mem({ progressAt: T0 + 1_000, waitingFor: 'engine of node 1 to answer' }) },
  },
  {
    rule: "a node's engine down past the repair wait: a repair that says what it waits for",
    cluster: active(2),
    observed: { ...healthy(2), nodes: [node(0), node(1, { engineUp: false })] },
    now: T0 + 5_001,
    memory: mem({ waitingFor: 'engine of node 1 to answer' }),
    expected: { repair: 'waiting for engine of node 1 to answer', step: { kind: 'wait', reason: 'engine of node 1 to answer' }, memory: mem({ waitingFor: 'engine of node 1 to answer' }) },
  },
  {
    rule: 'stale swarm entries of nodes that are gone: removed',
    cluster: active(2),
    observed: { ...healthy(2), members: [...(healthy(2).members ?? []), member('old', false)] },
    expected: { repair: 'removing stale swarm member old', step: { kind: 'act', actions: [{ type: 'removeSwarmMember', memberId: 'old', via: 0 }] }, memory: mem() },
  },
  {
    rule: "a node's /proc gone stale (lxcfs restarted): restarted",
    cluster: active(1),
    observed: { ...healthy(1), nodes: [node(0, { procStale: true })] },
    expected: {
      repair: 'node 0 reports no memory (its /proc files from lxcfs went stale), restarting it',
      step: { kind: 'act', actions: [{ type: 'restartNode', index: 0 }] },
      memory: mem(),
    },
  },
  {
    rule: 'a cluster still building is not repaired: its work is expected',
    cluster: { status: 'building', nodeCount: 2 },
    observed: without(healthy(2), 1),
    expected: { repair: null, step: { kind: 'act', actions: [{ type: 'createNode', index: 1, role: 'worker' }] }, memory: mem() },
  },
  // Swarm grace: re-forming a swarm loses its services, so only after the manager stayed out for a while.
  {
    rule: 'first swarm of a building cluster: initialised at once',
    cluster: { status: 'building', nodeCount: 2 },
    observed: managerLeft,
    expected: { repair: null, step: { kind: 'act', actions: [{ type: 'swarmInit' }] }, memory: mem() },
  },
  {
    rule: 'the manager of an active cluster left its swarm: wait, and remember since when',
    cluster: active(2),
    observed: managerLeft,
    now: T0 + 100,
    expected: {
      repair: null,
      step: { kind: 'wait', reason: 'the manager to report its swarm again' },
      memory: mem({ progressAt: T0 + 100, waitingFor: 'the manager to report its swarm again', swarmLostAt: T0 + 100 }),
    },
  },
  {
    rule: 'still inside the grace: still waiting',
    cluster: { status: 'rebuilding', nodeCount: 2 },
    observed: managerLeft,
    now: T0 + 9_999,
    memory: mem({ waitingFor: 'the manager to report its swarm again', swarmLostAt: T0 }),
    expected: { repair: null, step: { kind: 'wait', reason: 'the manager to report its swarm again' }, memory: mem({ waitingFor: 'the manager to report its swarm again', swarmLostAt: T0 }) },
  },
  {
    rule: 'the grace is over: the swarm is re-formed',
    cluster: { status: 'rebuilding', nodeCount: 2 },
    observed: managerLeft,
    now: T0 + 10_000,
    memory: mem({ swarmLostAt: T0 }),
    expected: { repair: null, step: { kind: 'act', actions: [{ type: 'swarmInit' }] }, memory: mem({ swarmLostAt: T0 }) },
  },
  {
    rule: 'a swarm that lost its quorum: waits for a leader as long, then recovers from its last manager',
    cluster: { status: 'rebuilding', nodeCount: 3, managers: 3 },
    observed: quorumLost,
    now: T0 + 100,
    memory: mem({ swarmLostAt: T0 }),
    expected: {
      repair: null,
      step: { kind: 'wait', reason: 'the swarm to elect a leader again (its quorum is lost)' },
      memory: mem({ progressAt: T0 + 100, waitingFor: 'the swarm to elect a leader again (its quorum is lost)', swarmLostAt: T0 }),
    },
  },
  {
    rule: 'the quorum still lost after the grace: recovered with force-new-cluster',
    cluster: { status: 'rebuilding', nodeCount: 3, managers: 3 },
    observed: quorumLost,
    now: T0 + 10_000,
    memory: mem({ swarmLostAt: T0 }),
    expected: { repair: null, step: { kind: 'act', actions: [{ type: 'forceNewCluster', via: 0 }] }, memory: mem({ swarmLostAt: T0 }) },
  },
  {
    rule: 'the manager reports its swarm again: the grace is forgotten',
    cluster: { status: 'rebuilding', nodeCount: 2 },
    observed: healthy(2),
    memory: mem({ swarmLostAt: T0 - 5_000 }),
    expected: { repair: null, step: { kind: 'act', actions: [{ type: 'markActive' }] }, memory: mem() },
  },
  // Stall: waiting on one thing past CARINA_STALL_TIMEOUT_MS puts the cluster in error, with the reason.
  {
    rule: 'waiting exactly the stall timeout: still waiting',
    cluster: { status: 'building', nodeCount: 2 },
    observed: { ...healthy(2), members: [member('s0', true, 'manager'), member('s1', false)] },
    now: T0 + 120_000,
    memory: mem({ waitingFor: 'node 1 to be Ready in the swarm' }),
    expected: { repair: null, step: { kind: 'wait', reason: 'node 1 to be Ready in the swarm' }, memory: mem({ waitingFor: 'node 1 to be Ready in the swarm' }) },
  },
  {
    rule: 'a wait past the stall timeout: error, saying what it waited for and what to do',
    cluster: { status: 'building', nodeCount: 2 },
    observed: { ...healthy(2), members: [member('s0', true, 'manager'), member('s1', false)] },
    now: STALL_PAST,
    memory: mem({ waitingFor: 'node 1 to be Ready in the swarm' }),
    expected: {
      repair: null,
      step: { kind: 'fail', reason: 'gave up after waiting 120 s for node 1 to be Ready in the swarm; rebuild the cluster to retry, or delete it' },
      memory: mem({ waitingFor: 'node 1 to be Ready in the swarm' }),
    },
  },
  {
    rule: 'something new to wait for is progress: the stall clock starts again',
    cluster: { status: 'building', nodeCount: 2 },
    observed: { ...healthy(2), members: [member('s0', true, 'manager'), member('s1', false)] },
    now: STALL_PAST,
    memory: mem({ waitingFor: 'engine of node 1 to answer' }),
    expected: { repair: null, step: { kind: 'wait', reason: 'node 1 to be Ready in the swarm' }, memory: mem({ progressAt: STALL_PAST, waitingFor: 'node 1 to be Ready in the swarm' }) },
  },
  // Resize down mid-drain: the surplus worker drains, its tasks move, then it goes.
  {
    rule: 'shrinking: the surplus worker is drained',
    cluster: { status: 'shrinking', nodeCount: 1 },
    observed: healthy(2),
    expected: { repair: null, step: { kind: 'act', actions: [{ type: 'drainNode', index: 1, memberId: 's1', via: 0 }] }, memory: mem() },
  },
  {
    rule: 'mid-drain, tasks still running there: wait (no repair: shrinking is not drift)',
    cluster: { status: 'shrinking', nodeCount: 1 },
    observed: draining(2),
    now: T0 + 60_000,
    expected: { repair: null, step: { kind: 'wait', reason: 'tasks to move off draining node 1' }, memory: mem({ progressAt: T0 + 60_000, waitingFor: 'tasks to move off draining node 1' }) },
  },
  {
    rule: 'mid-drain past the stall timeout: error (the tasks cannot move)',
    cluster: { status: 'shrinking', nodeCount: 1 },
    observed: draining(2),
    now: STALL_PAST,
    memory: mem({ waitingFor: 'tasks to move off draining node 1' }),
    expected: {
      repair: null,
      step: { kind: 'fail', reason: 'gave up after waiting 120 s for tasks to move off draining node 1; rebuild the cluster to retry, or delete it' },
      memory: mem({ waitingFor: 'tasks to move off draining node 1' }),
    },
  },
  {
    rule: 'drained: the node leaves the swarm and goes',
    cluster: { status: 'shrinking', nodeCount: 1 },
    observed: draining(0),
    expected: { repair: null, step: { kind: 'act', actions: [{ type: 'decommissionNode', index: 1, memberId: 's1', via: 0 }] }, memory: mem() },
  },
  // Delete and error: the planner's, untouched.
  {
    rule: 'deleting: nodes go first',
    cluster: { status: 'deleting', nodeCount: 1 },
    observed: healthy(1),
    expected: { repair: null, step: { kind: 'act', actions: [{ type: 'removeNode', index: 0 }] }, memory: mem() },
  },
  { rule: 'in error: waits for the user (rebuild or delete)', cluster: { status: 'error', nodeCount: 1 }, observed: empty, expected: { repair: null, step: { kind: 'done' }, memory: mem() } },
];

describe('decide: one pass over a cluster', () => {
  it.each(ROWS.map((r) => [r.rule, r] as const))('%s', (_rule, row) => {
    expect(decide(row.cluster, row.observed, row.now ?? T0, row.memory ?? mem(), TIMINGS)).toEqual(row.expected);
  });

  it('an active cluster whose manager stays out of its swarm is repaired once the grace is over', () => {
    const d = decide(active(2), managerLeft, T0 + 10_000, mem({ swarmLostAt: T0 }), TIMINGS);
    expect(d.repair).toBe('the manager left the swarm, re-forming it');
    expect(d.step).toEqual({ kind: 'act', actions: [{ type: 'swarmInit' }] });
  });
});

describe('reconcile memory', () => {
  it('a worker starts with the stall clock at now and keeps the swarm loss it inherits', () => {
    expect(startMemory(T0, T0 - 3_000)).toEqual({ progressAt: T0, waitingFor: '', swarmLostAt: T0 - 3_000 });
  });

  it('an applied batch is progress: the stall clock starts again', () => {
    expect(progressed(mem({ waitingFor: 'x', swarmLostAt: 1 }), T0 + 7)).toEqual({ progressAt: T0 + 7, waitingFor: '', swarmLostAt: 1 });
  });
});
