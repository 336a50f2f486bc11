import { describe, expect, it } from 'vitest';
import { findFlavor } from '../core/flavors.js';
import type { Action } from '../core/planner.js';
import type { EngineCluster } from '../core/ports.js';
import type { EventLine } from '../core/reconcile-events.js';
import type { ClusterStatus } from '../core/types.js';
import { RecordingTelemetry } from '../core/test-support/recording-telemetry.js';
import { applyAction } from './apply-action.js';
import { FAKE_PKI } from './test-support/memory-store.js';
import { reconcilerHarness } from './test-support/reconciler-harness.js';

function setup(status: ClusterStatus) {
  const h = reconcilerHarness();
  const cluster = h.store.add({ id: 'k1', status, nodeCount: 2 });
  const target: EngineCluster = { id: 'k1', name: 'k1', accountName: 'alice', flavor: findFlavor('container1-4G')!, port: 23760, pki: FAKE_PKI };
  const c = h.engine.cluster('k1');
  c.network = true;
  for (const index of [0, 1]) c.containers.set(index, { running: index === 0, engineUp: true, procStale: false });
  const telemetry = new RecordingTelemetry();
  const io = { engine: h.engine, store: h.store, clock: { now: () => new Date(h.now()) }, log: (l: string) => h.logs.push(l), checkLease: () => Promise.resolve(), telemetry };
  return { ...h, cluster, target, io, telemetry };
}

// (status, action) → the engine call it makes and the event it records.
const DISPATCH: readonly (readonly [ClusterStatus, Action, string, EventLine | null])[] = [
  ['building', { type: 'createNetwork' }, 'createNetwork', null],
  ['building', { type: 'createNode', index: 1, role: 'worker' }, 'createNode 1 worker', { type: 'node', message: 'node 1 (worker) started' }],
  ['rebuilding', { type: 'createNode', index: 3, role: 'worker', standIn: true }, 'createNode 3 worker', { type: 'node', message: 'node 3 (stand-in worker) started' }],
  ['rebuilding', { type: 'startNode', index: 1 }, 'startNode 1', { type: 'node', message: 'node 1 restarted' }],
  ['rebuilding', { type: 'restartNode', index: 0 }, 'restartNode 0', { type: 'node', message: 'node 0 restarted: its /proc files answer again' }],
  ['shrinking', { type: 'removeNode', index: 1 }, 'removeNode 1', { type: 'node', message: 'node 1 removed' }],
  ['deleting', { type: 'removeNode', index: 1 }, 'removeNode 1', null],
  ['deleting', { type: 'removeVolume', index: 1 }, 'removeVolume 1', null],
  ['deleting', { type: 'removeNetwork' }, 'removeNetwork', null],
  ['building', { type: 'loadWorkloadImage', index: 0 }, 'loadWorkloadImage 0', null],
  ['building', { type: 'swarmInit' }, 'swarmInit', { type: 'swarm', message: 'swarm initialised on node 0' }],
  ['building', { type: 'swarmJoin', index: 1, role: 'worker', via: 0 }, 'swarmJoin 1', { type: 'swarm', message: 'node 1 joined the swarm' }],
  ['rebuilding', { type: 'removeSwarmMember', memberId: 'old', via: 0 }, 'removeSwarmMember old', { type: 'swarm', message: 'removed stale swarm member old' }],
  ['shrinking', { type: 'drainNode', index: 1, memberId: 'w1', via: 0 }, 'drainNode w1', { type: 'node', message: 'node 1 draining: its tasks move to other nodes' }],
  ['shrinking', { type: 'decommissionNode', index: 1, memberId: 'w1', via: 0 }, 'decommissionNode 1 w1', { type: 'node', message: 'node 1 left the swarm and was removed' }],
];

describe('applyAction: the dispatch of planned actions', () => {
  it.each(DISPATCH)('%s: %o → %s', async (status, action, call, event) => {
    const { io, cluster, target, engine, store, telemetry } = setup(status);
    await applyAction(io, cluster, target, action);
    expect(engine.calls).toEqual([call]);
    expect(store.eventsOf('k1')).toEqual(event ? [event] : []);
    expect(telemetry.lines).toEqual([`engine ${action.type} ok`]);
  });

  it('records no event when the engine call fails, and passes the failure on', async () => {
    const { io, cluster, target, engine, store, telemetry } = setup('building');
    engine.failNext('swarmJoin', new Error('node 1 cannot reach the manager'));
    await expect(applyAction(io, cluster, target, { type: 'swarmJoin', index: 1, role: 'worker', via: 0 })).rejects.toThrow('cannot reach the manager');
    expect(store.eventsOf('k1')).toEqual([]);
    expect(telemetry.lines).toEqual(['engine swarmJoin error']);
  });

  it('markActive: the cluster becomes active, saying from what and how long it took', async () => {
    const { io, cluster, target, engine, store, advance, telemetry } = setup('building');
    advance(2_449);
    await applyAction(io, cluster, target, { type: 'markActive' });
    expect(store.get('k1')?.status).toBe('active');
    expect(store.eventsOf('k1')).toEqual([{ type: 'active', message: 'cluster active with 2 Ready node(s) (building took 2.4 s)' }]);
    expect(engine.calls).toEqual([]);
    expect(telemetry.lines).toEqual(['operation create 2.449s']);
  });

  it('markActive releases the hosts of surplus nodes, not those of a stand-in', async () => {
    const { io, cluster, target, store } = setup('rebuilding');
    store.placements.set('k1', [{ index: 0, host: 'h1' }, { index: 1, host: 'h1' }, { index: 2, host: 'h2' }, { index: 3, host: 'h2', standIn: true }]);
    const hosts = new Map([[0, 'h1'], [1, 'h1'], [2, 'h2'], [3, 'h2']]);
    await applyAction(io, cluster, { ...target, hosts, standIns: [3] }, { type: 'markActive' });
    expect(store.placements.get('k1')?.map((p) => p.index)).toEqual([0, 1, 3]);
  });

  it('markActive on a cluster already active says nothing', async () => {
    const { io, cluster, target, store, telemetry } = setup('active');
    await applyAction(io, cluster, target, { type: 'markActive' });
    expect(store.eventsOf('k1')).toEqual([]);
    expect(telemetry.lines).toEqual([]);
  });

  it('finalizeDelete removes the record, the log says so, and the delete is timed from the last change', async () => {
    const { io, cluster, target, store, logs, advance, telemetry } = setup('deleting');
    advance(5_000);
    await applyAction(io, cluster, target, { type: 'finalizeDelete' });
    expect(store.get('k1')).toBeUndefined();
    expect(logs).toEqual(['reconciler: cluster alice/k1 deleted']);
    expect(telemetry.lines).toEqual(['operation delete 5s']);
  });
});
