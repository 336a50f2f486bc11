import { describe, expect, it } from 'vitest';
import { nodeRecords } from './node-records.js';
import { healthy, member, node } from './test-support/observed-cluster.js';

describe('node records', () => {
  it.each([
    ['a stopped container', node(1, { running: false }), 'stopped'],
    ['a running node whose engine does not answer yet', node(1, { engineUp: false, swarm: null, swarmNodeId: null }), 'starting'],
    ['an engine that is not in the swarm yet', node(1, { swarm: 'inactive', swarmNodeId: null }), 'joining'],
    ['a member the manager does not list as Ready', node(1, { swarmNodeId: 'not-ready' }), 'joining'],
    ['a Ready swarm member', node(1), 'ready'],
  ] as const)('%s is %s', (_what, observedNode, status) => {
    const observed = { ...healthy(2), nodes: [node(0), observedNode], members: [member('s0', true, 'manager'), member('s1'), member('not-ready', false)] };
    expect(nodeRecords({ id: 'c1', status: 'active' }, observed)?.[1]).toEqual({
      clusterId: 'c1',
      index: 1,
      role: 'worker',
      containerId: 'c1',
      address: '10.0.0.3',
      status,
    });
  });

  it('gives node 0 the manager role', () => {
    expect(nodeRecords({ id: 'c1', status: 'building' }, healthy(1))?.map((n) => n.role)).toEqual(['manager']);
  });

  it('records the role the swarm lists: a node in a manager seat manages once promoted', () => {
    const observed = { ...healthy(3), members: [member('s0', true, 'manager'), member('s1', true, 'manager'), member('s2')] };
    expect(nodeRecords({ id: 'c1', status: 'active' }, observed)?.map((n) => n.role)).toEqual(['manager', 'manager', 'worker']);
  });

  it('records nothing while the cluster is deleted: its rows go with it', () => {
    expect(nodeRecords({ id: 'c1', status: 'deleting' }, healthy(2))).toBeNull();
  });
});
