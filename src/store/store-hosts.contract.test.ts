import { expect, it } from 'vitest';
import type { NewHost } from '../core/ports.js';
import { describeStoreContract } from './test-support/store-contract.js';

const GiB = 1024 ** 3;
const HOST: NewHost = { name: 'h1', dockerHost: 'tcp://10.0.0.1:2376', tlsDir: '/etc/carina/hosts/h1', allocatableNanoCpus: 64e9, allocatableMemoryBytes: 256 * GiB };

// Docker hosts and node placements (issue 13, docs/multi-host.md).
describeStoreContract('Store contract: hosts and placements', (h) => {
  const { account, cluster } = h;
  const add = async (name: string, extra: Partial<NewHost> = {}) => {
    const added = await h.store.hosts.add({ ...HOST, name, ...extra });
    if (!added.ok) throw new Error(`host ${name} exists`);
    return added.host;
  };

  it('adds a host, ready, with sizes past 32 bits, and lists hosts by name', async () => {
    const added = await h.store.hosts.add(HOST);
    const at = new Date(h.now());
    const host = { ...HOST, state: 'ready', createdAt: at, updatedAt: at, lastSeenAt: null };
    expect(added).toEqual({ ok: true, host });
    await add('a0', { state: 'draining', allocatableNanoCpus: 2e9, allocatableMemoryBytes: 4 * GiB });
    expect(await h.store.hosts.get('h1')).toEqual(host);
    expect(await h.store.hosts.get('nope')).toBeUndefined();
    expect((await h.store.hosts.list()).map((x) => [x.name, x.state, x.allocatableMemoryBytes])).toEqual([
      ['a0', 'draining', 4 * GiB],
      ['h1', 'ready', 256 * GiB],
    ]);
  });

  it('refuses a second host of the same name and keeps the first', async () => {
    await add('h1');
    expect(await h.store.hosts.add({ ...HOST, dockerHost: 'tcp://10.0.0.9:2376' })).toEqual({ ok: false, reason: 'exists' });
    expect((await h.store.hosts.get('h1'))?.dockerHost).toBe(HOST.dockerHost);
  });

  it('changes a host’s state and records when its engine answered', async () => {
    await add('h1');
    h.advance(1000);
    expect(await h.store.hosts.setState('h1', 'draining')).toMatchObject({ state: 'draining', updatedAt: new Date(h.now()), lastSeenAt: null });
    h.advance(1000);
    await h.store.hosts.markSeen('h1');
    expect(await h.store.hosts.get('h1')).toMatchObject({ state: 'draining', lastSeenAt: new Date(h.now()) });
    expect(await h.store.hosts.setState('nope', 'down')).toBeUndefined();
  });

  it('records, replaces and forgets the hosts of a cluster’s nodes; a node without one is on the local engine', async () => {
    const a = await account('a');
    const web = await cluster(a.id, 'web');
    const api = await cluster(a.id, 'api');
    await add('h1');
    await add('h2');
    expect(await h.store.hosts.placementsOf(web.id)).toEqual([]);
    expect(await h.store.hosts.place(web.id, [{ index: 1, host: 'h2' }, { index: 0, host: 'h1' }, { index: 2, host: 'h1' }])).toEqual({ ok: true });
    expect(await h.store.hosts.place(api.id, [{ index: 0, host: 'h2' }])).toEqual({ ok: true });
    expect(await h.store.hosts.placementsOf(web.id)).toEqual([
      { clusterId: web.id, index: 0, host: 'h1' },
      { clusterId: web.id, index: 1, host: 'h2' },
      { clusterId: web.id, index: 2, host: 'h1' },
    ]);
    // A node re-created elsewhere: its placement is replaced, the others stay.
    expect(await h.store.hosts.place(web.id, [{ index: 2, host: 'h2' }])).toEqual({ ok: true });
    await h.store.hosts.unplace(web.id, [1]);
    expect((await h.store.hosts.placementsOf(web.id)).map((p) => [p.index, p.host])).toEqual([[0, 'h1'], [2, 'h2']]);
    // By host, then cluster id (web is cl-1, api cl-2), then index.
    expect(await h.store.hosts.placedNodes()).toEqual([
      { clusterId: web.id, index: 0, host: 'h1', flavor: 'small', nodeCount: 1 },
      { clusterId: web.id, index: 2, host: 'h2', flavor: 'small', nodeCount: 1 },
      { clusterId: api.id, index: 0, host: 'h2', flavor: 'small', nodeCount: 1 },
    ]);
  });

  it('marks a stand-in, releases it (its row stays until unplaced), and a later placement of its index is an ordinary node', async () => {
    const a = await account('a');
    const web = await cluster(a.id, 'web');
    await add('h1');
    await add('h2');
    await h.store.hosts.place(web.id, [{ index: 0, host: 'h1' }, { index: 1, host: 'h1' }]);
    expect(await h.store.hosts.place(web.id, [{ index: 2, host: 'h2', standIn: true }])).toEqual({ ok: true });
    expect(await h.store.hosts.placementsOf(web.id)).toEqual([
      { clusterId: web.id, index: 0, host: 'h1' },
      { clusterId: web.id, index: 1, host: 'h1' },
      { clusterId: web.id, index: 2, host: 'h2', standIn: true },
    ]);
    expect((await h.store.hosts.placedNodes()).filter((p) => p.standIn === true)).toEqual([{ clusterId: web.id, index: 2, host: 'h2', standIn: true, flavor: 'small', nodeCount: 1 }]);
    await h.store.hosts.releaseStandIn(web.id, 2);
    expect(await h.store.hosts.placementsOf(web.id)).toContainEqual({ clusterId: web.id, index: 2, host: 'h2' });
    await h.store.hosts.place(web.id, [{ index: 3, host: 'h2', standIn: true }]);
    await h.store.hosts.place(web.id, [{ index: 3, host: 'h1' }]); // a grow takes the index: an ordinary node now
    expect((await h.store.hosts.placementsOf(web.id)).map((p) => [p.index, p.host, p.standIn ?? false])).toEqual([[0, 'h1', false], [1, 'h1', false], [2, 'h2', false], [3, 'h1', false]]);
  });

  it('places all or nothing: a missing, draining or down host, a gone cluster or a node twice records nothing', async () => {
    const a = await account('a');
    const web = await cluster(a.id, 'web');
    await add('h1');
    await add('d', { state: 'draining' });
    await add('x', { state: 'down' });
    const refusals: [string, { index: number; host: string }[], string][] = [
      [web.id, [{ index: 0, host: 'h1' }, { index: 1, host: 'nope' }], 'no host named nope'],
      [web.id, [{ index: 0, host: 'h1' }, { index: 1, host: 'd' }], 'host d is draining'],
      [web.id, [{ index: 0, host: 'x' }], 'host x is down'],
      [web.id, [{ index: 0, host: 'h1' }, { index: 0, host: 'h1' }], 'a node is placed twice'],
      ['cl-gone', [{ index: 0, host: 'h1' }], 'no cluster with id cl-gone'],
    ];
    for (const [clusterId, placements, reason] of refusals) {
      expect(await h.store.hosts.place(clusterId, placements)).toEqual({ ok: false, reason });
    }
    expect(await h.store.hosts.placedNodes()).toEqual([]);
  });

  it('removes a host only once it holds no node; a deleted cluster’s placements go with it', async () => {
    const a = await account('a');
    const web = await cluster(a.id, 'web');
    const api = await cluster(a.id, 'api');
    await add('h1');
    await h.store.hosts.place(web.id, [{ index: 0, host: 'h1' }, { index: 1, host: 'h1' }]);
    await h.store.hosts.place(api.id, [{ index: 0, host: 'h1' }]);
    expect(await h.store.hosts.remove('h1')).toEqual({ ok: false, reason: 'holds-nodes', nodes: 3 });
    await h.store.clusters.delete(web.id);
    expect(await h.store.hosts.remove('h1')).toEqual({ ok: false, reason: 'holds-nodes', nodes: 1 });
    await h.store.hosts.unplace(api.id, [0]);
    expect(await h.store.hosts.remove('h1')).toEqual({ ok: true });
    expect(await h.store.hosts.get('h1')).toBeUndefined();
    expect(await h.store.hosts.remove('h1')).toEqual({ ok: false, reason: 'not-found' });
  });

  it('keeps placements when the observed node rows are rewritten', async () => {
    const a = await account('a');
    const web = await cluster(a.id, 'web');
    await add('h1');
    await h.store.hosts.place(web.id, [{ index: 0, host: 'h1' }]);
    await h.store.clusters.replaceNodes(web.id, [{ clusterId: web.id, index: 0, role: 'manager', containerId: 'c0', address: '10.0.0.2', status: 'ready' }]);
    await h.store.clusters.replaceNodes(web.id, []);
    expect(await h.store.hosts.placementsOf(web.id)).toEqual([{ clusterId: web.id, index: 0, host: 'h1' }]);
  });
});
