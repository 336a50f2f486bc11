import { describe, expect, it } from 'vitest';
import { fencedError } from '../core/errors.js';
import { findFlavor } from '../core/flavors.js';
import { reconcilerHarness } from './test-support/reconciler-harness.js';

describe('Reconciler: scheduling (fake engine, memory store)', () => {
  it('a periodic pass works on every cluster but those in error', async () => {
    const h = reconcilerHarness();
    h.store.add({ id: 'fresh' });
    h.store.add({ id: 'broken', status: 'error', statusReason: 'x' });
    await h.reconciler.tick();
    await h.reconciler.idle();
    expect(h.store.get('fresh')?.status).toBe('active');
    expect(h.store.get('broken')?.status).toBe('error');
    expect(h.engine.calls.filter((c) => c.startsWith('createNetwork'))).toHaveLength(1);
  });

  it('a periodic pass observes a few clusters at a time; the rest follow, each once', async () => {
    const h = reconcilerHarness({ passConcurrency: 3 });
    for (let i = 0; i < 10; i++) h.store.add({ id: `c${i}` });
    // Each cluster's first observation waits at a gate: the pass may have only 3 of them in flight.
    const observe = h.engine.observe;
    const first = new Set<string>();
    let inFlight = 0;
    let most = 0;
    let open = () => undefined as void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    h.engine.observe = async (t) => {
      if (first.has(t.id)) return observe(t);
      first.add(t.id);
      most = Math.max(most, ++inFlight);
      await gate;
      inFlight--;
      return observe(t);
    };
    await h.reconciler.tick();
    await h.reconciler.tick(); // the next pass, due while this one still runs, takes no cluster twice
    await new Promise((resolve) => setImmediate(resolve));
    expect([inFlight, first.size]).toEqual([3, 3]);
    open();
    await h.reconciler.idle();
    expect(most).toBe(3);
    expect([...Array(10).keys()].map((i) => h.store.get(`c${i}`)?.status)).toEqual(Array(10).fill('active'));
    expect(h.engine.calls.filter((c) => c === 'createNetwork')).toHaveLength(10);
  });

  it('a cluster that waits long gives its place in the pass back once observed', async () => {
    const h = reconcilerHarness({ passConcurrency: 1, stallTimeoutMs: Number.MAX_SAFE_INTEGER });
    h.store.add({ id: 'a-waits', nodeCount: 1 });
    Object.assign(h.engine.cluster('a-waits'), { network: true });
    h.engine.cluster('a-waits').containers.set(0, { running: true, engineUp: false, procStale: false }); // its engine never answers
    h.store.add({ id: 'b' });
    await h.reconciler.tick();
    while (h.store.get('b')?.status !== 'active') await new Promise((resolve) => setImmediate(resolve));
    expect(h.store.get('a-waits')?.status).toBe('building');
    await h.reconciler.stop();
  });

  it('a kick does not wait behind the periodic pass', async () => {
    const h = reconcilerHarness({ passConcurrency: 2 });
    for (let i = 0; i < 4; i++) h.store.add({ id: `c${i}` });
    h.store.add({ id: 'going', status: 'deleting' });
    const observe = h.engine.observe;
    let open = () => undefined as void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    h.engine.observe = async (t) => {
      if (t.id !== 'going') await gate;
      return observe(t);
    };
    await h.reconciler.tick(); // c0 and c1 held in their first observation; c2, c3 and 'going' wait their turn
    h.reconciler.kick('going'); // the user deleted it: that work starts now
    while (h.store.get('going')) await new Promise((resolve) => setImmediate(resolve));
    expect(h.engine.calls.filter((c) => c === 'createNetwork')).toHaveLength(0);
    open();
    await h.reconciler.idle();
    expect(h.engine.calls.filter((c) => c === 'createNetwork')).toHaveLength(4);
  });

  it('brings a cluster that took over a warm shell to active by naming its nodes, and nothing more', async () => {
    const h = reconcilerHarness();
    const flavor = findFlavor('container1-4G');
    if (!flavor) throw new Error('no default flavor');
    await h.engine.buildShell({ id: 'warm', flavor, port: 23761, nodeCount: 2 });
    h.engine.calls.length = 0;
    h.store.add({ id: 'warm', name: 'web', nodeCount: 2 });
    await h.run('warm');
    expect(h.store.get('warm')?.status).toBe('active');
    expect(h.engine.calls).toEqual(['nameNode 0', 'nameNode 1']);
  });

  it('leaves the objects of a warm shell alone: they are a future cluster’s, not orphans', async () => {
    const h = reconcilerHarness();
    h.store.shellIds.push('shell');
    h.engine.cluster('shell').network = true;
    h.engine.cluster('ghost').network = true;
    await h.reconciler.tick();
    await h.reconciler.idle();
    expect(h.engine.calls.filter((c) => c.startsWith('purgeCluster'))).toEqual(['purgeCluster ghost']);
  });

  it('removes objects whose cluster record is gone, on the first pass and every sixth', async () => {
    const h = reconcilerHarness();
    h.store.add({ id: 'live' });
    h.engine.cluster('ghost').network = true;
    await h.reconciler.tick();
    await h.reconciler.idle();
    expect(h.engine.calls.filter((c) => /^(listClusterIds|purgeCluster)/.test(c))).toEqual(['listClusterIds', 'purgeCluster ghost']);
    expect(h.logs).toContain('reconciler: removing objects of unknown cluster ghost');
    h.engine.cluster('ghost2').network = true;
    h.engine.calls.length = 0;
    for (let pass = 1; pass < 6; pass++) await h.reconciler.tick();
    expect(h.engine.calls.filter((c) => c.startsWith('purgeCluster'))).toEqual([]);
    await h.reconciler.tick();
    await h.reconciler.idle();
    expect(h.engine.calls.filter((c) => c.startsWith('purgeCluster'))).toEqual(['purgeCluster ghost2']);
  });

  it('does not remove the objects of a cluster a worker is still busy with', async () => {
    const h = reconcilerHarness();
    h.store.add({ id: 'going', status: 'deleting' });
    h.engine.cluster('going').network = true;
    const release = h.engine.pause('removeNetwork');
    h.reconciler.kick('going');
    while (!h.engine.calls.includes('removeNetwork')) await new Promise((resolve) => setImmediate(resolve));
    await h.store.clusters.delete('going'); // its record is gone while the worker still runs
    await h.reconciler.tick();
    release();
    await h.reconciler.idle();
    expect(h.engine.calls).toEqual(['removeNetwork', 'listClusterIds']);
  });

  it('a periodic pass that cannot read the store is logged and tried again next time', async () => {
    const h = reconcilerHarness();
    h.store.clusters.listIds = () => Promise.reject(new Error('database is locked'));
    await h.reconciler.tick();
    expect(h.logs).toEqual(['reconciler: periodic pass failed: database is locked']);
  });

  it("works on the clusters a standby replica's API changed", async () => {
    const h = reconcilerHarness();
    h.store.add({ id: 'c1' });
    h.store.requestKick('c1');
    await h.reconciler.takeKicks();
    await h.reconciler.idle();
    expect(h.store.get('c1')?.status).toBe('active');
  });

  it('an engine event about a node kicks its cluster; after stop() nothing is scheduled', async () => {
    const h = reconcilerHarness();
    h.store.add({ id: 'c1', nodeCount: 2 });
    h.reconciler.start();
    await h.run('c1');
    h.engine.calls.length = 0;
    h.engine.cluster('c1').containers.delete(1);
    h.engine.emit('c1');
    await h.reconciler.idle();
    expect(h.engine.calls).toEqual(['createNode 1 worker']);
    await h.reconciler.stop();
    h.engine.cluster('c1').containers.delete(1);
    h.engine.emit('c1');
    h.reconciler.kick('c1');
    await h.reconciler.idle();
    expect(h.engine.calls).toEqual(['createNode 1 worker']);
  });

  it('a kick while the cluster is being worked on runs it once more afterwards', async () => {
    const h = reconcilerHarness();
    h.store.add({ id: 'c1' });
    h.reconciler.kick('c1');
    await h.store.clusters.transition('c1', 'delete'); // the user deletes while the build runs
    h.reconciler.kick('c1');
    await h.reconciler.idle();
    expect(h.store.get('c1')).toBeUndefined();
    expect(h.engine.cluster('c1').containers.size).toBe(0);
  });

  it('a leader that lost its lease does no engine step and records nothing: it stops and asks leadership to check', async () => {
    let leads = true;
    let checks = 0;
    const h = reconcilerHarness({
      checkLease: () => (leads ? Promise.resolve() : Promise.reject(fencedError({ lease: 'control-plane', holder: 'a', generation: 1 }))),
      onFenced: () => Promise.resolve(void checks++),
    });
    h.store.add({ id: 'c1', nodeCount: 2 });
    leads = false; // paused past its lease, say
    await h.run('c1');
    expect(h.engine.calls).toEqual([]);
    expect(h.store.get('c1')).toMatchObject({ status: 'building', failures: 0 }); // not a failure of the cluster
    expect(h.store.eventsOf('c1').map((e) => e.message)).toEqual(['building 2 node(s)']);
    expect(h.logs.at(-1)).toMatch(/cluster c1: stopped: refused a step made under a's lease \(generation 1\)/);
    await new Promise((resolve) => setImmediate(resolve));
    expect(checks).toBe(1);
  });

  it('reads usage through the engine', async () => {
    const h = reconcilerHarness();
    const cluster = h.store.add({ id: 'c1' });
    expect(await h.reconciler.usage(cluster, { withStats: false })).toEqual({ nodes: [] });
    expect(h.engine.calls).toEqual(['usage c1']);
  });
});
