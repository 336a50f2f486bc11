import { describe, expect, it } from 'vitest';
import { reconcilerHarness } from './test-support/reconciler-harness.js';

/** A harness with cluster `id` built to active with `nodes` nodes; the engine's call log starts empty. */
async function built(nodes: number, id = 'c1') {
  const h = reconcilerHarness();
  h.store.add({ id, nodeCount: nodes });
  await h.run(id);
  expect(h.store.get(id)?.status).toBe('active');
  h.engine.calls.length = 0;
  h.slept.length = 0;
  return h;
}
const messages = (h: ReturnType<typeof reconcilerHarness>, id = 'c1') => h.store.eventsOf(id).map((e) => e.message);

describe('Converger: observe, decide, apply (fake engine, memory store)', () => {
  it('builds a new cluster step by step to active, and records each step', async () => {
    const h = reconcilerHarness();
    h.store.add({ id: 'c1', nodeCount: 2 });
    await h.run('c1');
    expect(h.engine.calls).toEqual(['createNetwork', 'createNode 0 manager', 'createNode 1 worker', 'loadWorkloadImage 0', 'loadWorkloadImage 1', 'swarmInit', 'swarmJoin 1']);
    expect(h.store.eventsOf('c1')).toEqual([
      { type: 'building', message: 'building 2 node(s)' },
      { type: 'node', message: 'node 0 (manager) started' },
      { type: 'node', message: 'node 1 (worker) started' },
      { type: 'swarm', message: 'swarm initialised on node 0' },
      { type: 'swarm', message: 'node 1 joined the swarm' },
      { type: 'active', message: 'cluster active with 2 Ready node(s) (building took 0.0 s)' },
    ]);
    expect(h.store.nodesOf('c1').map((n) => `${n.index} ${n.role} ${n.status}`)).toEqual(['0 manager ready', '1 worker ready']);
    expect(h.slept).toEqual([]);
  });

  it('issues key material for a cluster that has none (a crash between create and issue)', async () => {
    const h = reconcilerHarness();
    h.store.add({ id: 'c1' }, { pki: false });
    await h.run('c1');
    expect(h.issued).toEqual(['c1']);
    expect(await h.store.clusters.getPki('c1')).toBeDefined();
  });

  it('a node gone: announced as a repair, re-created with its volume (so no new swarm join)', async () => {
    const h = await built(2);
    h.engine.cluster('c1').containers.delete(1);
    await h.run('c1');
    expect(h.engine.calls).toEqual(['createNode 1 worker']);
    expect(messages(h).slice(-3)).toEqual(['repairing: node 1 is missing, re-creating it', 'node 1 (worker) started', 'cluster active with 2 Ready node(s) (rebuilding took 0.0 s)']);
    expect(h.logged).toContainEqual({ line: 'reconciler: cluster alice/c1 repairing: node 1 is missing, re-creating it', clusterId: 'c1', account: 'alice' });
  });

  it('a node stopped: started again', async () => {
    const h = await built(2);
    h.engine.cluster('c1').containers.get(0)!.running = false;
    await h.run('c1');
    expect(h.engine.calls).toEqual(['startNode 0']);
    expect(messages(h)).toContain('repairing: node 0 stopped, restarting it');
    expect(h.store.get('c1')?.status).toBe('active');
  });

  it('the manager left its swarm: waited on for the grace, then the swarm is re-formed and workers re-join', async () => {
    const h = await built(2);
    const c = h.engine.cluster('c1');
    Object.assign(c.volumes.get(0)!, { swarm: 'inactive', swarmNodeId: null });
    const start = h.now();
    await h.run('c1');
    expect(h.engine.calls).toEqual(['swarmInit', 'swarmJoin 1']);
    expect(h.now() - start).toBeGreaterThanOrEqual(10_000);
    expect(messages(h).slice(-4)).toEqual([
      'repairing: waiting for the manager to report its swarm again',
      'swarm re-formed on node 0: the manager had left its swarm, so services and networks of the old swarm are gone and must be deployed again',
      'node 1 joined the swarm',
      'cluster active with 2 Ready node(s) (rebuilding took 4.9 s)', // repaired after 5 s of waiting, re-formed at 10 s
    ]);
  });

  it('a failing step backs off 0.5 s, then 1 s…, and a success clears the count', async () => {
    const h = reconcilerHarness();
    h.store.add({ id: 'c1' });
    h.engine.failNext('createNode', new Error('no space left on device'), 2);
    await h.run('c1');
    expect(messages(h).filter((m) => m.startsWith('attempt'))).toEqual(['attempt 1 of 8 failed: no space left on device', 'attempt 2 of 8 failed: no space left on device']);
    expect(h.slept).toEqual([500, 1_000]);
    expect(h.store.get('c1')).toMatchObject({ status: 'active', failures: 0 });
  });

  it('the eighth failure in a row puts the cluster in error with the engine message', async () => {
    const h = reconcilerHarness();
    h.store.add({ id: 'c1' });
    h.engine.failNext('createNetwork', new Error('pool overlaps'), 8);
    await h.run('c1');
    const reason = 'pool overlaps (failed 8 times); rebuild the cluster to retry, or delete it';
    expect(h.store.get('c1')).toMatchObject({ status: 'error', statusReason: reason, failures: 0 });
    expect(h.slept).toEqual([500, 1_000, 2_000, 4_000, 8_000, 8_000, 8_000]);
    expect(h.store.eventsOf('c1').at(-1)).toEqual({ type: 'error', message: reason });
    expect(h.logged.at(-1)).toEqual({ line: `reconciler: cluster alice/c1 in error: ${reason}`, clusterId: 'c1', account: 'alice', level: 'warn' });
  });

  it('the host engine down is not the cluster failing: nothing counted, the worker pauses and ends', async () => {
    const h = reconcilerHarness();
    h.store.add({ id: 'c1', status: 'building' });
    h.engine.hostUp = false;
    await h.run('c1');
    expect(h.store.get('c1')).toMatchObject({ status: 'building', failures: 0 });
    expect(h.store.eventsOf('c1')).toEqual([]);
    expect(h.slept).toEqual([1_000]);
    expect(h.logs).toEqual(['reconciler: the host engine does not answer (connect ENOENT /var/run/docker.sock); waiting for it']);
  });

  it('a wait past the stall timeout puts the cluster in error, saying what it waited for', async () => {
    const h = reconcilerHarness();
    h.store.add({ id: 'c1', status: 'building' });
    const c = h.engine.cluster('c1');
    c.network = true;
    c.containers.set(0, { running: true, engineUp: false, procStale: false });
    await h.run('c1');
    expect(h.store.get('c1')).toMatchObject({
      status: 'error',
      statusReason: 'gave up after waiting 120 s for engine of node 0 to answer; rebuild the cluster to retry, or delete it',
    });
    expect(h.now() - Date.parse('2026-12-01T10:00:00Z')).toBeGreaterThan(120_000);
    expect(h.store.nodesOf('c1').map((n) => n.status)).toEqual(['starting']);
  });

  it('resize down: drains the surplus worker, then it leaves and goes', async () => {
    const h = await built(3);
    await h.store.clusters.transition('c1', 'shrink', { nodeCount: 1 });
    await h.run('c1');
    expect(h.engine.calls).toEqual(['drainNode w1-swarm1', 'drainNode w2-swarm1', 'decommissionNode 1 w1-swarm1', 'decommissionNode 2 w2-swarm1']);
    expect(h.store.get('c1')?.status).toBe('active');
    expect(messages(h)).toContain('node 2 left the swarm and was removed');
  });

  it('resize down mid-drain: tasks that cannot move make it an error after the stall timeout', async () => {
    const h = await built(2);
    h.engine.cluster('c1').members.get('w1-swarm1')!.tasks = 3;
    await h.store.clusters.transition('c1', 'shrink', { nodeCount: 1 });
    await h.run('c1');
    expect(h.engine.calls).toEqual(['drainNode w1-swarm1']);
    expect(h.store.get('c1')?.statusReason).toBe('gave up after waiting 120 s for tasks to move off draining node 1; rebuild the cluster to retry, or delete it');
  });

  it('delete: nodes, volumes, network, then the record; no node events for a cluster that goes', async () => {
    const h = await built(2);
    await h.store.clusters.transition('c1', 'delete');
    await h.run('c1');
    expect(h.engine.calls).toEqual(['removeNode 0', 'removeNode 1', 'removeVolume 0', 'removeVolume 1', 'removeNetwork']);
    expect(h.store.get('c1')).toBeUndefined();
    expect(h.logged).toContainEqual({ line: 'reconciler: cluster alice/c1 deleted', clusterId: 'c1', account: 'alice' });
  });

  it('leaves a cluster in error alone', async () => {
    const h = reconcilerHarness();
    h.store.add({ id: 'c1', status: 'error', statusReason: 'broken' });
    await h.run('c1');
    expect(h.engine.calls).toEqual([]);
  });
});
