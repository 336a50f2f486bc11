import { describe, expect, it } from 'vitest';
import { managerSeats, plan } from './planner.js';
import { empty, healthy, member, node } from './test-support/observed-cluster.js';

describe('plan: create', () => {
  it('creates the network first', () => {
    expect(plan({ status: 'building', nodeCount: 2 }, empty)).toEqual({ kind: 'act', actions: [{ type: 'createNetwork' }] });
  });

  it('then creates every node at once, manager first', () => {
    expect(plan({ status: 'building', nodeCount: 3 }, { ...empty, networkExists: true })).toEqual({
      kind: 'act',
      actions: [
        { type: 'createNode', index: 0, role: 'manager' },
        { type: 'createNode', index: 1, role: 'worker' },
        { type: 'createNode', index: 2, role: 'worker' },
      ],
    });
  });

  it('starts stopped nodes and creates only missing ones (no duplicates after a crash)', () => {
    const observed = { ...empty, networkExists: true, nodes: [node(0, { running: false }), node(2)] };
    expect(plan({ status: 'building', nodeCount: 3 }, observed)).toEqual({
      kind: 'act',
      actions: [
        { type: 'startNode', index: 0 },
        { type: 'createNode', index: 1, role: 'worker' },
      ],
    });
  });

  it('waits for inner engines to answer', () => {
    const observed = { ...healthy(2), nodes: [node(0), node(1, { engineUp: false })] };
    expect(plan({ status: 'building', nodeCount: 2 }, observed)).toEqual({ kind: 'wait', reason: 'engine of node 1 to answer' });
  });

  it('initialises the swarm on the manager while loading the workload image', () => {
    const nodes = [node(0, { swarm: 'inactive', swarmNodeId: null, hasWorkloadImage: false }), node(1, { swarm: 'inactive', swarmNodeId: null })];
    expect(plan({ status: 'building', nodeCount: 2 }, { ...healthy(2), nodes, members: null })).toEqual({
      kind: 'act',
      actions: [{ type: 'loadWorkloadImage', index: 0 }, { type: 'swarmInit' }],
    });
  });

  it('joins inactive workers once the manager is active', () => {
    const nodes = [node(0), node(1, { swarm: 'inactive', swarmNodeId: null }), node(2, { swarm: 'inactive', swarmNodeId: null })];
    expect(plan({ status: 'building', nodeCount: 3 }, { ...healthy(3), nodes, members: [member('s0', true, 'manager')] })).toEqual({
      kind: 'act',
      actions: [
        { type: 'swarmJoin', index: 1, role: 'worker', via: 0 },
        { type: 'swarmJoin', index: 2, role: 'worker', via: 0 },
      ],
    });
  });

  it('joins again a worker whose earlier join failed', () => {
    const nodes = [node(0), node(1, { swarm: 'error', swarmNodeId: null })];
    expect(plan({ status: 'building', nodeCount: 2 }, { ...healthy(2), nodes })).toEqual({ kind: 'act', actions: [{ type: 'swarmJoin', index: 1, role: 'worker', via: 0 }] });
  });

  it("re-joins a worker that is active in a swarm the manager doesn't know (swarm re-formed)", () => {
    const observed = { ...healthy(2), members: [member('s0', true, 'manager')] };
    expect(plan({ status: 'rebuilding', nodeCount: 2 }, observed)).toEqual({ kind: 'act', actions: [{ type: 'swarmJoin', index: 1, role: 'worker', via: 0 }] });
  });

  it('waits while a joined node is not Ready yet', () => {
    const observed = { ...healthy(2), members: [member('s0', true, 'manager'), member('s1', false)] };
    expect(plan({ status: 'building', nodeCount: 2 }, observed)).toEqual({ kind: 'wait', reason: 'node 1 to be Ready in the swarm' });
  });

  it('waits when the manager is in a transitional swarm state', () => {
    const observed = { ...healthy(1), nodes: [node(0, { swarm: 'pending' })] };
    expect(plan({ status: 'building', nodeCount: 1 }, observed)).toEqual({ kind: 'wait', reason: 'manager swarm state "pending"' });
  });

  it('waits when the manager cannot list members', () => {
    expect(plan({ status: 'building', nodeCount: 1 }, { ...healthy(1), members: null })).toEqual({
      kind: 'wait',
      reason: 'the manager to list swarm members',
    });
  });

  it('marks the cluster active when every wanted node is Ready', () => {
    for (const status of ['new', 'building', 'growing', 'rebuilding'] as const) {
      expect(plan({ status, nodeCount: 2 }, healthy(2))).toEqual({ kind: 'act', actions: [{ type: 'markActive' }] });
    }
  });

  it('is done for a converged active cluster', () => {
    expect(plan({ status: 'active', nodeCount: 3 }, healthy(3))).toEqual({ kind: 'done' });
  });
});

describe('plan: a cluster that took over a warm shell (docs/warm-pool.md)', () => {
  const named = (index: number, over = {}) => node(index, { hostname: `web-${index}`, ...over });
  it('names the nodes built before it had a name, before any swarm step', () => {
    const nodes = [node(0, { hostname: 'node-0' }), node(1, { hostname: 'node-1', swarm: 'inactive', swarmNodeId: null }), named(2)];
    expect(plan({ status: 'building', nodeCount: 3, name: 'web' }, { ...healthy(3), nodes })).toEqual({
      kind: 'act',
      actions: [
        { type: 'nameNode', index: 0 },
        { type: 'nameNode', index: 1 },
      ],
    });
  });

  it('has nothing left but to mark it active once its nodes carry its name', () => {
    expect(plan({ status: 'building', nodeCount: 2, name: 'web' }, { ...healthy(2), nodes: [named(0), named(1)] })).toEqual({ kind: 'act', actions: [{ type: 'markActive' }] });
  });

  it('does not name a node whose engine does not answer, nor look at names when not asked to', () => {
    const nodes = [node(0, { hostname: 'node-0' }), node(1, { engineUp: false, hostname: null })];
    expect(plan({ status: 'building', nodeCount: 2, name: 'web' }, { ...healthy(2), nodes })).toEqual({ kind: 'wait', reason: 'engine of node 1 to answer' });
    expect(plan({ status: 'active', nodeCount: 1 }, { ...healthy(1), nodes: [node(0, { hostname: 'node-0' })] })).toEqual({ kind: 'done' });
  });
});

describe('plan: grow and repair', () => {
  it('grows by creating the new indexes only', () => {
    expect(plan({ status: 'growing', nodeCount: 4 }, healthy(2))).toEqual({
      kind: 'act',
      actions: [
        { type: 'createNode', index: 2, role: 'worker' },
        { type: 'createNode', index: 3, role: 'worker' },
      ],
    });
  });

  it('shrinks gently: drain, wait for the tasks to move, then decommission', () => {
    const d = { status: 'shrinking' as const, nodeCount: 1 };
    expect(plan(d, healthy(2))).toEqual({ kind: 'act', actions: [{ type: 'drainNode', index: 1, memberId: 's1', via: 0 }] });
    const draining = { ...healthy(2), members: [member('s0', true, 'manager'), member('s1', true, 'worker', { availability: 'drain', tasks: 2 })] };
    expect(plan(d, draining)).toEqual({ kind: 'wait', reason: 'tasks to move off draining node 1' });
    const drained = { ...healthy(2), members: [member('s0', true, 'manager'), member('s1', true, 'worker', { availability: 'drain', tasks: 0 })] };
    expect(plan(d, drained)).toEqual({ kind: 'act', actions: [{ type: 'decommissionNode', index: 1, memberId: 's1', via: 0 }] });
    expect(plan(d, healthy(1))).toEqual({ kind: 'act', actions: [{ type: 'markActive' }] });
  });

  it('creates a stand-in beyond the count as a worker, keeps it while it is wanted, and lets it leave gently once released', () => {
    const d = { status: 'active' as const, nodeCount: 3, standIns: [3] };
    expect(plan(d, healthy(3))).toEqual({ kind: 'act', actions: [{ type: 'createNode', index: 3, role: 'worker', standIn: true }] });
    const joining = { ...healthy(4), nodes: [...healthy(3).nodes, node(3, { swarm: 'inactive', swarmNodeId: null })], members: healthy(3).members };
    expect(plan(d, joining)).toEqual({ kind: 'act', actions: [{ type: 'swarmJoin', index: 3, role: 'worker', via: 0 }] });
    expect(plan(d, healthy(4))).toEqual({ kind: 'done' });
    // Released: surplus, drained first like any node a resize removes.
    expect(plan({ status: 'active', nodeCount: 3 }, healthy(4))).toEqual({ kind: 'act', actions: [{ type: 'drainNode', index: 3, memberId: 's3', via: 0 }] });
    // An index the count already covers (a grow took it) is an ordinary node, with its seat's role.
    expect(plan({ status: 'growing', nodeCount: 2, standIns: [1] }, healthy(1))).toEqual({ kind: 'act', actions: [{ type: 'createNode', index: 1, role: 'worker' }] });
  });

  it('removes a surplus node straight away when it is not a working swarm member', () => {
    const observed = { ...healthy(3), nodes: [node(0), node(1, { running: false }), node(2, { engineUp: false })] };
    expect(plan({ status: 'shrinking', nodeCount: 1 }, observed)).toEqual({
      kind: 'act',
      actions: [
        { type: 'removeNode', index: 1 },
        { type: 'removeNode', index: 2 },
      ],
    });
  });

  it('removes stale swarm members that are down and not one of ours', () => {
    const observed = { ...healthy(2), members: [...healthy(2).members!, member('old', false)] };
    expect(plan({ status: 'active', nodeCount: 2 }, observed)).toEqual({
      kind: 'act',
      actions: [{ type: 'removeSwarmMember', memberId: 'old', via: 0 }],
    });
  });

  it('restarts the nodes whose /proc files went stale, once every engine answers', () => {
    const stale = { ...healthy(3), nodes: [node(0, { procStale: true }), node(1), node(2, { procStale: true })] };
    expect(plan({ status: 'active', nodeCount: 3 }, stale)).toEqual({
      kind: 'act',
      actions: [
        { type: 'restartNode', index: 0 },
        { type: 'restartNode', index: 2 },
      ],
    });
    const oneDown = { ...stale, nodes: [node(0, { procStale: true }), node(1, { engineUp: false }), node(2)] };
    expect(plan({ status: 'active', nodeCount: 3 }, oneDown)).toEqual({ kind: 'wait', reason: 'engine of node 1 to answer' });
  });

  it('does not restart a stale surplus node: it is leaving anyway', () => {
    const observed = { ...healthy(2), nodes: [node(0), node(1, { procStale: true })] };
    expect(plan({ status: 'shrinking', nodeCount: 1 }, observed)).toEqual({ kind: 'act', actions: [{ type: 'drainNode', index: 1, memberId: 's1', via: 0 }] });
  });

  it('keeps a Ready member it does not know (it may be joining)', () => {
    const observed = { ...healthy(1), members: [member('s0', true, 'manager'), member('x', true)] };
    expect(plan({ status: 'active', nodeCount: 1 }, observed)).toEqual({ kind: 'done' });
  });

  it('removes a down manager no node is any more (the engine demotes it first)', () => {
    const observed = { ...healthy(1), members: [member('s0', true, 'manager'), member('m', false, 'manager')] };
    expect(plan({ status: 'active', nodeCount: 1 }, observed)).toEqual({ kind: 'act', actions: [{ type: 'removeSwarmMember', memberId: 'm', via: 0 }] });
  });
});

describe('plan: delete', () => {
  it('removes nodes, then volumes, then the network, then the record', () => {
    const d = { status: 'deleting' as const, nodeCount: 2 };
    expect(plan(d, healthy(2))).toEqual({
      kind: 'act',
      actions: [
        { type: 'removeNode', index: 0 },
        { type: 'removeNode', index: 1 },
      ],
    });
    expect(plan(d, { ...empty, networkExists: true, volumes: [1] })).toEqual({ kind: 'act', actions: [{ type: 'removeVolume', index: 1 }] });
    expect(plan(d, { ...empty, networkExists: true })).toEqual({ kind: 'act', actions: [{ type: 'removeNetwork' }] });
    expect(plan(d, empty)).toEqual({ kind: 'act', actions: [{ type: 'finalizeDelete' }] });
  });

  it('does nothing for a cluster in error: it waits for rebuild or delete', () => {
    expect(plan({ status: 'error', nodeCount: 2 }, empty)).toEqual({ kind: 'done' });
  });
});

describe('managerSeats', () => {
  const on = (...hosts: string[]) => new Map(hosts.map((h, i) => [i, h]));
  it.each([
    ['a local cluster', 5, undefined, 1],
    ['2 nodes on 2 hosts', 2, on('a', 'b'), 1],
    ['3 nodes on 3 hosts', 3, on('a', 'b', 'c'), 3],
    ['5 nodes, the first 3 on 3 hosts', 5, on('a', 'b', 'c', 'a', 'b'), 3],
    ['3 nodes on 2 hosts (no quorum outlives either)', 3, on('a', 'b', 'a'), 1],
    ['a grow not placed yet', 3, on('a', 'b'), 1],
  ])('%s: %i node(s) → %i manager(s)', (_, nodeCount, hosts, seats) => {
    expect(managerSeats(nodeCount, hosts)).toBe(seats);
  });
});

describe('plan: three managers', () => {
  const three = (over: Partial<ReturnType<typeof healthy>> = {}) => ({
    ...healthy(3),
    members: [member('s0', true, 'manager'), member('s1', true, 'manager'), member('s2', true, 'manager')],
    membersFrom: 0,
    managing: [0, 1, 2],
    ...over,
  });

  it('creates the first three nodes as managers', () => {
    expect(plan({ status: 'building', nodeCount: 4, managers: 3 }, { ...empty, networkExists: true })).toEqual({
      kind: 'act',
      actions: [
        { type: 'createNode', index: 0, role: 'manager' },
        { type: 'createNode', index: 1, role: 'manager' },
        { type: 'createNode', index: 2, role: 'manager' },
        { type: 'createNode', index: 3, role: 'worker' },
      ],
    });
  });

  it('joins the manager seats with the manager token, one at a time, and the workers at once', () => {
    const nodes = [node(0), ...[1, 2, 3].map((i) => node(i, { swarm: 'inactive', swarmNodeId: null }))];
    const observed = { ...healthy(4), nodes, members: [member('s0', true, 'manager')], membersFrom: 0, managing: [0] };
    expect(plan({ status: 'building', nodeCount: 4, managers: 3 }, observed)).toEqual({
      kind: 'act',
      actions: [
        { type: 'swarmJoin', index: 1, role: 'manager', via: 0 },
        { type: 'swarmJoin', index: 3, role: 'worker', via: 0 },
      ],
    });
    // Node 1 in: node 2 next (each manager is a change of the raft's membership, made one by one).
    const next = { ...observed, nodes: [node(0), node(1), node(2, { swarm: 'inactive', swarmNodeId: null }), node(3)], members: [member('s0', true, 'manager'), member('s1', true, 'manager'), member('s3', true)] };
    expect(plan({ status: 'building', nodeCount: 4, managers: 3 }, next)).toEqual({ kind: 'act', actions: [{ type: 'swarmJoin', index: 2, role: 'manager', via: 0 }] });
  });

  it('is done once the three seats manage and every node is Ready', () => {
    expect(plan({ status: 'active', nodeCount: 3, managers: 3 }, three())).toEqual({ kind: 'done' });
  });

  it('re-joins a re-created node 0 through node 1 and removes its old member: no new swarm', () => {
    // Node 0's host was lost: its replacement elsewhere is a fresh engine; nodes 1 and 2 keep the quorum.
    const observed = three({
      nodes: [node(0, { swarm: 'inactive', swarmNodeId: null }), node(1), node(2)],
      members: [member('s0', false, 'manager'), member('s1', true, 'manager'), member('s2', true, 'manager')],
      membersFrom: 1,
      managing: [1, 2],
    });
    expect(plan({ status: 'rebuilding', nodeCount: 3, managers: 3 }, observed)).toEqual({
      kind: 'act',
      actions: [
        { type: 'swarmJoin', index: 0, role: 'manager', via: 1 },
        { type: 'removeSwarmMember', memberId: 's0', via: 1 },
      ],
    });
  });

  it('waits rather than forming a new swarm while another manager cannot list the members', () => {
    const observed = three({ nodes: [node(0, { swarm: 'inactive', swarmNodeId: null }), node(1), node(2)], members: null, membersFrom: null, managing: [1, 2] });
    expect(plan({ status: 'rebuilding', nodeCount: 3, managers: 3 }, observed)).toEqual({ kind: 'wait', reason: "a swarm manager (node 1, 2) to list the swarm's members" });
  });

  it('recovers a swarm that lost 2 of its 3 managers from the last one (force-new-cluster), then re-joins the others', () => {
    // Nodes 1 and 2 were lost with their hosts and re-created elsewhere; node 0's raft has no leader: nothing lists the members.
    const fresh = { swarm: 'inactive' as const, swarmNodeId: null };
    const lost = three({ nodes: [node(0), node(1, fresh), node(2, fresh)], members: null, membersFrom: null, managing: [0] });
    expect(plan({ status: 'rebuilding', nodeCount: 3, managers: 3 }, lost)).toEqual({ kind: 'act', actions: [{ type: 'forceNewCluster', via: 0 }] });
    // The survivor may be any seat (node 0 lost too, re-created): the one that manages.
    const viaTwo = three({ nodes: [node(0, fresh), node(1, fresh), node(2)], members: null, membersFrom: null, managing: [2] });
    expect(plan({ status: 'rebuilding', nodeCount: 3, managers: 3 }, viaTwo)).toEqual({ kind: 'act', actions: [{ type: 'forceNewCluster', via: 2 }] });
    // Recovered: it lists the members again (the lost two down), and the replacements join through it.
    const recovered = three({
      nodes: [node(0), node(1, fresh), node(2, fresh)],
      members: [member('s0', true, 'manager'), member('s1', false, 'manager'), member('s2', false, 'manager')],
      membersFrom: 0,
      managing: [0],
    });
    expect(plan({ status: 'rebuilding', nodeCount: 3, managers: 3 }, recovered)).toEqual({
      kind: 'act',
      actions: [
        { type: 'swarmJoin', index: 1, role: 'manager', via: 0 },
        { type: 'removeSwarmMember', memberId: 's1', via: 0 },
        { type: 'removeSwarmMember', memberId: 's2', via: 0 },
      ],
    });
  });

  it.each([
    ['another manager still manages (a leader election after one loss)', { managing: [0, 1], nodes: [node(0), node(1), node(2, { swarm: 'inactive', swarmNodeId: null })] }],
    ['another node is still in the swarm', { managing: [0], nodes: [node(0), node(1), node(2, { swarm: 'inactive', swarmNodeId: null })] }],
    ['another node is joining', { managing: [0], nodes: [node(0), node(1, { swarm: 'pending', swarmNodeId: null }), node(2, { swarm: 'inactive', swarmNodeId: null })] }],
    ['the members were listed', { managing: [0], membersFrom: 0, nodes: [node(0), node(1, { swarm: 'inactive', swarmNodeId: null }), node(2, { swarm: 'inactive', swarmNodeId: null })] }],
  ])('does not force a new raft when %s', (_, over) => {
    const observed = three({ members: null, membersFrom: null, ...over, ...('membersFrom' in over && { members: [member('s0', true, 'manager')] }) });
    const planned = plan({ status: 'rebuilding', nodeCount: 3, managers: 3 }, observed);
    expect(planned.kind === 'act' ? planned.actions.map((a) => a.type) : []).not.toContain('forceNewCluster');
  });

  it('promotes a node that holds a manager seat as a worker (a grow onto a third host)', () => {
    const observed = three({ members: [member('s0', true, 'manager'), member('s1', true), member('s2', true)], managing: [0] });
    expect(plan({ status: 'growing', nodeCount: 3, managers: 3 }, observed)).toEqual({
      kind: 'act',
      actions: [
        { type: 'setRole', index: 1, memberId: 's1', role: 'manager', via: 0 },
        { type: 'setRole', index: 2, memberId: 's2', role: 'manager', via: 0 },
      ],
    });
  });

  it('shrinking to 2 nodes: the remaining seat is demoted, the surplus manager becomes a worker before it drains', () => {
    expect(plan({ status: 'shrinking', nodeCount: 2, managers: 1 }, three())).toEqual({
      kind: 'act',
      actions: [
        { type: 'setRole', index: 1, memberId: 's1', role: 'worker', via: 0 },
        { type: 'setRole', index: 2, memberId: 's2', role: 'worker', via: 0 },
      ],
    });
    const demoted = three({ members: [member('s0', true, 'manager'), member('s1', true), member('s2', true)], managing: [0] });
    expect(plan({ status: 'shrinking', nodeCount: 2, managers: 1 }, demoted)).toEqual({ kind: 'act', actions: [{ type: 'drainNode', index: 2, memberId: 's2', via: 0 }] });
  });
});
