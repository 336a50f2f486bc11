import { describe, expect, it } from 'vitest';
import type { Action } from './planner.js';
import { actionEvent, activeEvent, buildingEvent, describeRepair, repairEvent, type EventLine } from './reconcile-events.js';
import type { ClusterStatus } from './types.js';

// (status, applied action) → the event a user reads in the cluster's log (null: none).
const ACTION_EVENTS: readonly (readonly [ClusterStatus, Action, EventLine | null])[] = [
  ['building', { type: 'createNode', index: 0, role: 'manager' }, { type: 'node', message: 'node 0 (manager) started' }],
  ['rebuilding', { type: 'startNode', index: 2 }, { type: 'node', message: 'node 2 restarted' }],
  ['rebuilding', { type: 'restartNode', index: 1 }, { type: 'node', message: 'node 1 restarted: its /proc files answer again' }],
  ['shrinking', { type: 'removeNode', index: 3 }, { type: 'node', message: 'node 3 removed' }],
  ['deleting', { type: 'removeNode', index: 3 }, null],
  ['building', { type: 'swarmInit' }, { type: 'swarm', message: 'swarm initialised on node 0' }],
  [
    'rebuilding',
    { type: 'swarmInit' },
    {
      type: 'swarm',
      message: 'swarm re-formed on node 0: the manager had left its swarm, so services and networks of the old swarm are gone and must be deployed again',
    },
  ],
  ['building', { type: 'swarmJoin', index: 1, role: 'worker', via: 0 }, { type: 'swarm', message: 'node 1 joined the swarm' }],
  ['rebuilding', { type: 'removeSwarmMember', memberId: 'abc', via: 0 }, { type: 'swarm', message: 'removed stale swarm member abc' }],
  ['shrinking', { type: 'drainNode', index: 2, memberId: 'm2', via: 0 }, { type: 'node', message: 'node 2 draining: its tasks move to other nodes' }],
  ['shrinking', { type: 'decommissionNode', index: 2, memberId: 'm2', via: 0 }, { type: 'node', message: 'node 2 left the swarm and was removed' }],
  ['building', { type: 'createNetwork' }, null],
  ['deleting', { type: 'removeVolume', index: 0 }, null],
  ['deleting', { type: 'removeNetwork' }, null],
  ['building', { type: 'loadWorkloadImage', index: 0 }, null],
];

// Actions an active cluster needs → the reason of its repair event.
const REPAIRS: readonly (readonly [Action, string])[] = [
  [{ type: 'createNode', index: 2, role: 'worker' }, 'node 2 is missing, re-creating it'],
  [{ type: 'startNode', index: 1 }, 'node 1 stopped, restarting it'],
  [{ type: 'restartNode', index: 0 }, 'node 0 reports no memory (its /proc files from lxcfs went stale), restarting it'],
  [{ type: 'swarmJoin', index: 1, role: 'worker', via: 0 }, 'node 1 is not in the swarm, re-joining it'],
  [{ type: 'swarmInit' }, 'the manager left the swarm, re-forming it'],
  [{ type: 'removeSwarmMember', memberId: 'x1', via: 0 }, 'removing stale swarm member x1'],
  [{ type: 'removeNode', index: 4 }, 'removing surplus node 4'],
  [{ type: 'createNode', index: 3, role: 'worker', standIn: true }, 'adding stand-in node 3 (it joins before a node moves off a draining host)'],
  [{ type: 'drainNode', index: 3, memberId: 'w3', via: 0 }, 'draining surplus node 3 (its tasks move to other nodes)'],
  [{ type: 'decommissionNode', index: 3, memberId: 'w3', via: 0 }, 'surplus node 3 leaves the swarm'],
  [{ type: 'createNetwork' }, 'the cluster network is missing, re-creating it'],
  [{ type: 'loadWorkloadImage', index: 1 }, 'loading carina/busybox into node 1'],
  [{ type: 'markActive' }, 'markActive'],
];

describe('event wording', () => {
  it.each(ACTION_EVENTS)('%s, %o → %o', (status, action, expected) => {
    expect(actionEvent(status, action)).toEqual(expected);
  });

  it.each(REPAIRS)('repair of %o: %s', (action, words) => {
    expect(describeRepair([action])).toBe(words);
  });

  it('a repair of several things names each', () => {
    const actions: Action[] = [{ type: 'startNode', index: 0 }, { type: 'createNode', index: 1, role: 'worker' }];
    expect(repairEvent(describeRepair(actions))).toEqual({ type: 'repair', message: 'repairing: node 0 stopped, restarting it; node 1 is missing, re-creating it' });
  });

  it('says how long the cluster took to become active, and from what', () => {
    expect(activeEvent(3, 'building', 2_449)).toEqual({ type: 'active', message: 'cluster active with 3 Ready node(s) (building took 2.4 s)' });
    expect(buildingEvent(2)).toEqual({ type: 'building', message: 'building 2 node(s)' });
  });
});
