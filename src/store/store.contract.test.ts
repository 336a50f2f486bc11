import { expect, it } from 'vitest';
import { ErrorCode } from '../core/errors.js';
import type { ClusterNode, ClusterPki } from '../core/types.js';
import { describeStoreContract, RANGE } from './test-support/store-contract.js';

const PKI: ClusterPki = {
  caCert: 'ca-cert', caKey: 'ca-key', serverCert: 'srv-cert', serverKey: 'srv-key',
  clientCert: 'cli-cert', clientKey: 'cli-key', clientSerial: '01',
};

describeStoreContract('Store contract', (h) => {
  const { account, cluster, input } = h;

  it('creates a cluster with its keys and its first event in one transaction', async () => {
    const bob = await account('bob');
    const c = await h.store.clusters.createWithinQuota({ ...input(bob.id, 'atomic'), pki: PKI, createdEvent: 'cluster requested' }, RANGE);
    expect(await h.store.clusters.getPki(c.id)).toMatchObject({ caCert: 'ca-cert', caKey: 'ca-key', clientSerial: '01' });
    expect((await h.store.events.list(c.id)).map((e) => [e.type, e.message])).toEqual([['created', 'cluster requested']]);
    // A refused create (the name is taken) writes none of the three.
    await expect(h.store.clusters.createWithinQuota({ ...input(bob.id, 'atomic'), id: 'other-id', pki: PKI, createdEvent: 'again' }, RANGE)).rejects.toMatchObject({ code: ErrorCode.CLUSTER_EXISTS });
    expect(await h.store.clusters.getPki('other-id')).toBeUndefined();
  });

  it('creates, finds, lists, rotates, re-quotas and deletes accounts', async () => {
    const bob = await account('bob', { clusters: 2, nodes: 3 });
    expect(bob).toEqual({ id: 'acc-bob', name: 'bob', keyHash: 'hash-bob', quotaClusters: 2, quotaNodes: 3, registryQuotaBytes: null, createdAt: new Date(h.now()) });
    await account('alice');
    const duplicate = { id: 'acc-other', name: 'bob', keyHash: 'h', quotaClusters: 1, quotaNodes: 1 };
    await expect(h.store.accounts.create(duplicate)).rejects.toMatchObject({ code: ErrorCode.ACCOUNT_EXISTS });
    expect(await h.store.accounts.findByName('bob')).toEqual(bob);
    expect(await h.store.accounts.findById('acc-bob')).toEqual(bob);
    expect(await h.store.accounts.findByName('nobody')).toBeUndefined();
    expect((await h.store.accounts.list()).map((a) => a.name)).toEqual(['alice', 'bob']);

    await h.store.accounts.updateKeyHash('acc-bob', 'hash-2');
    expect((await h.store.accounts.findById('acc-bob'))?.keyHash).toBe('hash-2');
    await expect(h.store.accounts.updateKeyHash('missing', 'x')).rejects.toMatchObject({ code: ErrorCode.ACCOUNT_NOT_FOUND });

    expect(await h.store.accounts.setQuota('acc-bob', { clusters: 7 })).toMatchObject({ quotaClusters: 7, quotaNodes: 3 });
    expect(await h.store.accounts.setQuota('acc-bob', { nodes: 9 })).toMatchObject({ quotaClusters: 7, quotaNodes: 9 });
    // Registry quotas are bigints: 5 TiB does not fit in 32 bits and must come back whole on both dialects.
    expect(await h.store.accounts.setQuota('acc-bob', { registryBytes: 5 * 2 ** 40 })).toMatchObject({ quotaNodes: 9, registryQuotaBytes: 5 * 2 ** 40 });
    expect((await h.store.accounts.findByName('bob'))?.registryQuotaBytes).toBe(5 * 2 ** 40);
    await expect(h.store.accounts.setQuota('missing', { nodes: 1 })).rejects.toMatchObject({ code: ErrorCode.ACCOUNT_NOT_FOUND });

    const c = await cluster(bob.id, 'web');
    await expect(h.store.accounts.delete(bob.id)).rejects.toMatchObject({
      code: ErrorCode.INVALID_STATE,
      message: expect.stringContaining('delete the clusters first') as unknown,
    });
    expect(await h.store.accounts.findById(bob.id)).toBeDefined();
    await h.store.clusters.delete(c.id);
    await h.store.accounts.delete(bob.id);
    expect(await h.store.accounts.findById(bob.id)).toBeUndefined();
    await h.store.accounts.delete(bob.id); // already gone: no-op
  });

  it('creates clusters with unique names per account', async () => {
    const a = await account('a');
    const b = await account('b');
    const web = await cluster(a.id, 'web');
    expect(web).toMatchObject({
      accountId: a.id, accountName: 'a', name: 'web', flavor: 'small', nodeCount: 1, autoscale: false,
      status: 'new', statusReason: null, port: RANGE.from, failures: 0,
    });
    expect(web.createdAt).toEqual(new Date(h.now()));
    await expect(cluster(a.id, 'web')).rejects.toMatchObject({ code: ErrorCode.CLUSTER_EXISTS });
    const other = await cluster(b.id, 'web');
    expect(other.accountName).toBe('b');
    await h.store.clusters.createWithinQuota(input(a.id, 'api', { autoscale: true, nodeCount: 3 }), RANGE);

    expect(await h.store.clusters.get(a.id, 'web')).toEqual(web);
    expect(await h.store.clusters.getById(web.id)).toEqual(web);
    expect(await h.store.clusters.get(b.id, 'api')).toBeUndefined();
    expect((await h.store.clusters.listByAccount(a.id)).map((c) => [c.name, c.autoscale, c.nodeCount])).toEqual([
      ['api', true, 3],
      ['web', false, 1],
    ]);
    expect((await h.store.clusters.listAll()).map((c) => `${c.accountName}/${c.name}`)).toEqual(['a/api', 'a/web', 'b/web']);
    expect(await h.store.clusters.countByAccount(a.id)).toBe(2);
    await expect(cluster('missing', 'x')).rejects.toMatchObject({ code: ErrorCode.ACCOUNT_NOT_FOUND });
    expect((await h.store.clusters.listAutoscaled()).map((c) => `${c.accountName}/${c.name}`)).toEqual(['a/api']);
    const all = (await h.store.clusters.listAll()).map((c) => c.id);
    expect(await h.store.clusters.listIds()).toEqual([...all].sort());
    await h.store.clusters.transition(web.id, 'fail', { statusReason: 'broken' });
    expect(await h.store.clusters.listIds({ except: 'error' })).toEqual(all.filter((id) => id !== web.id).sort());
  });

  it('enforces the cluster quota under 10 concurrent creates', async () => {
    const a = await account('busy', { clusters: 3, nodes: 5 });
    const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => cluster(a.id, `c${i}`)));
    const created = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const refused = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as Error & { code: string }] : []));
    expect(created).toHaveLength(3);
    expect(refused).toHaveLength(7);
    for (const err of refused) {
      expect(err.code).toBe(ErrorCode.QUOTA_EXCEEDED);
      expect(err.message).toBe('quota of 3 clusters reached (3 in use): delete a cluster or ask an operator to raise the quota');
    }
    expect(new Set(created.map((c) => c.port)).size).toBe(3);
    expect(await h.store.clusters.countByAccount(a.id)).toBe(3);
  });

  it('enforces the per-cluster node quota', async () => {
    const a = await account('small', { clusters: 5, nodes: 2 });
    const err = h.store.clusters.createWithinQuota(input(a.id, 'big', { nodeCount: 3 }), RANGE);
    await expect(err).rejects.toMatchObject({ code: ErrorCode.QUOTA_EXCEEDED, message: expect.stringContaining('at most 2 nodes per cluster') as unknown });
    expect(await h.store.clusters.countByAccount(a.id)).toBe(0);
  });

  it('allocates distinct lowest free ports, reuses freed ones and reports exhaustion', async () => {
    const a = await account('a', { clusters: 20, nodes: 5 });
    const b = await account('b', { clusters: 20, nodes: 5 });
    const range = { from: 30000, to: 30011 };
    const all = await Promise.all(Array.from({ length: 10 }, (_, i) => cluster(i % 2 ? a.id : b.id, `c${i}`, range)));
    expect(all.map((c) => c.port).sort()).toEqual(Array.from({ length: 10 }, (_, i) => 30000 + i));
    const freed = all.find((c) => c.port === 30004);
    await h.store.clusters.delete(freed?.id ?? '');
    expect((await cluster(a.id, 'again', range)).port).toBe(30004);
    expect((await cluster(a.id, 'c10', range)).port).toBe(30010);
    expect((await cluster(a.id, 'c11', range)).port).toBe(30011);
    await expect(cluster(a.id, 'c12', range)).rejects.toMatchObject({ code: ErrorCode.PORTS_EXHAUSTED });
  });

  it('applies allowed transitions with their patch and refuses others', async () => {
    const a = await account('a');
    const c = await cluster(a.id, 'web');
    await expect(h.store.clusters.transition('missing', 'start')).rejects.toMatchObject({ code: ErrorCode.CLUSTER_NOT_FOUND });

    h.advance(1000);
    const started = await h.store.clusters.transition(c.id, 'start', { failures: 2 });
    expect(started).toMatchObject({ ok: true, from: 'new', cluster: { status: 'building', failures: 2 } });
    expect(started.cluster.updatedAt).toEqual(new Date(h.now()));

    const refused = await h.store.clusters.transition(c.id, 'rebuild', { failures: 9 });
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.reason).toContain('cannot rebuild a cluster that is building');
    expect(refused.cluster).toMatchObject({ status: 'building', failures: 2 });
    expect(await h.store.clusters.getById(c.id)).toMatchObject({ status: 'building', failures: 2 });

    const failed = await h.store.clusters.transition(c.id, 'fail', { statusReason: 'engine down' });
    expect(failed).toMatchObject({ ok: true, from: 'building', cluster: { status: 'error', statusReason: 'engine down' } });
    const failedAgain = await h.store.clusters.transition(c.id, 'fail');
    expect(failedAgain.cluster.statusReason).toBe('engine down');
    const rebuilding = await h.store.clusters.transition(c.id, 'rebuild', { failures: 0 });
    expect(rebuilding).toMatchObject({ ok: true, from: 'error', cluster: { status: 'rebuilding', statusReason: null, failures: 0 } });
  });

  it('grows atomically within the node limit and only in states that allow it', async () => {
    const a = await account('a');
    const c = await cluster(a.id, 'web');
    await expect(h.store.clusters.grow('missing', 1, 10)).rejects.toMatchObject({ code: ErrorCode.CLUSTER_NOT_FOUND });
    await expect(h.store.clusters.grow(c.id, 0, 10)).rejects.toMatchObject({ code: ErrorCode.VALIDATION });
    await h.store.clusters.transition(c.id, 'start');
    await h.store.clusters.transition(c.id, 'ready');
    const grown = await Promise.all([1, 2, 3].map((by) => h.store.clusters.grow(c.id, by, 10)));
    expect(grown.every((o) => o.ok)).toBe(true);
    expect(grown.map((o) => (o.ok ? o.from : null)).sort()).toEqual(['active', 'growing', 'growing']);
    expect(await h.store.clusters.getById(c.id)).toMatchObject({ status: 'growing', nodeCount: 7 });
    await expect(h.store.clusters.grow(c.id, 4, 10)).rejects.toMatchObject({
      code: ErrorCode.QUOTA_EXCEEDED,
      message: expect.stringContaining('at most 10 nodes per cluster') as unknown,
    });
    expect((await h.store.clusters.getById(c.id))?.nodeCount).toBe(7);
    await h.store.clusters.transition(c.id, 'delete');
    const refused = await h.store.clusters.grow(c.id, 1, 10);
    expect(refused).toMatchObject({ ok: false, cluster: { status: 'deleting', nodeCount: 7 } });
  });

  it('resizes up through grow and down through shrink, never below 1 or past the limit', async () => {
    const a = await account('a');
    const c = await cluster(a.id, 'web');
    await h.store.clusters.transition(c.id, 'start');
    await h.store.clusters.transition(c.id, 'ready');
    expect(c.nodeCount).toBe(1);
    expect(await h.store.clusters.resize(c.id, 3, 5)).toMatchObject({ ok: true, from: 'active', cluster: { status: 'growing', nodeCount: 3 } });
    await h.store.clusters.transition(c.id, 'ready');
    const down = await h.store.clusters.resize(c.id, 1, 5);
    expect(down).toMatchObject({ ok: true, from: 'active', cluster: { status: 'shrinking', nodeCount: 1 } });
    await h.store.clusters.transition(c.id, 'ready');
    const up = await h.store.clusters.resize(c.id, 4, 5);
    expect(up).toMatchObject({ ok: true, from: 'active', cluster: { status: 'growing', nodeCount: 4 } });
    await h.store.clusters.transition(c.id, 'ready');
    expect(await h.store.clusters.resize(c.id, 4, 5)).toMatchObject({ ok: false, reason: 'the cluster already has 4 nodes' });
    await expect(h.store.clusters.resize(c.id, 0, 5)).rejects.toMatchObject({ code: ErrorCode.VALIDATION });
    await expect(h.store.clusters.resize(c.id, 6, 5)).rejects.toMatchObject({ code: ErrorCode.QUOTA_EXCEEDED });
    await expect(h.store.clusters.resize('missing', 2, 5)).rejects.toMatchObject({ code: ErrorCode.CLUSTER_NOT_FOUND });
    expect(await h.store.clusters.getById(c.id)).toMatchObject({ status: 'active', nodeCount: 4 });
  });

  it('updates a patch and bumps updated_at', async () => {
    const a = await account('a');
    const c = await cluster(a.id, 'web');
    h.advance(60_000);
    const updated = await h.store.clusters.update(c.id, { nodeCount: 4, autoscale: true, failures: 1, statusReason: 'slow' });
    expect(updated).toMatchObject({ nodeCount: 4, autoscale: true, failures: 1, statusReason: 'slow', status: 'new' });
    expect(updated.createdAt).toEqual(c.createdAt);
    expect(updated.updatedAt).toEqual(new Date(h.now()));
    expect(await h.store.clusters.getById(c.id)).toEqual(updated);
    await expect(h.store.clusters.update('missing', {})).rejects.toMatchObject({ code: ErrorCode.CLUSTER_NOT_FOUND });
  });

  it('replaces and lists nodes in index order', async () => {
    const a = await account('a');
    const c = await cluster(a.id, 'web');
    const node = (index: number, status = 'ready'): ClusterNode => ({
      clusterId: c.id, index, role: index === 0 ? 'manager' : 'worker', containerId: `ctr-${index}`, address: `10.0.0.${index}`, status,
    });
    expect(await h.store.clusters.listNodes(c.id)).toEqual([]);
    await h.store.clusters.replaceNodes(c.id, [node(2), node(0), node(1, 'starting')]);
    expect(await h.store.clusters.listNodes(c.id)).toEqual([node(0), node(1, 'starting'), node(2)]);
    await h.store.clusters.replaceNodes(c.id, [{ ...node(0), containerId: null, address: null, status: 'unknown' }]);
    expect(await h.store.clusters.listNodes(c.id)).toEqual([{ ...node(0), containerId: null, address: null, status: 'unknown' }]);
    await expect(h.store.clusters.replaceNodes('missing', [])).rejects.toMatchObject({ code: ErrorCode.CLUSTER_NOT_FOUND });
  });

  it("pages through an account's clusters by name, never into another account's", async () => {
    const a = await account('pager', { clusters: 10, nodes: 5 });
    const b = await account('other');
    for (const name of ['delta', 'alpha', 'echo', 'charlie', 'bravo']) await cluster(a.id, name);
    await cluster(b.id, 'beta');
    const names = async (page: { after?: string; limit: number }) => (await h.store.clusters.listByAccount(a.id, page)).map((c) => c.name);
    expect(await names({ limit: 2 })).toEqual(['alpha', 'bravo']);
    expect(await names({ after: 'bravo', limit: 2 })).toEqual(['charlie', 'delta']);
    expect(await names({ after: 'delta', limit: 2 })).toEqual(['echo']);
    expect(await names({ after: 'echo', limit: 2 })).toEqual([]);
    expect(await names({ after: 'b', limit: 10 })).toEqual(['bravo', 'charlie', 'delta', 'echo']); // a cursor need not exist
  });

  it('counts the Ready nodes of the given clusters in one query, and no others', async () => {
    const a = await account('a');
    const b = await account('b');
    const web = await cluster(a.id, 'web');
    const db = await cluster(a.id, 'db');
    const other = await cluster(b.id, 'web');
    const node = (clusterId: string, index: number): ClusterNode => ({
      clusterId, index, role: index === 0 ? 'manager' : 'worker', containerId: null, address: null, status: 'ready',
    });
    await h.store.clusters.replaceNodes(web.id, [node(web.id, 1), node(web.id, 0)]);
    await h.store.clusters.replaceNodes(db.id, [node(db.id, 0)]);
    await h.store.clusters.replaceNodes(other.id, [node(other.id, 0)]);
    await h.store.clusters.replaceNodes(db.id, [node(db.id, 0), { ...node(db.id, 1), status: 'joining' }]);
    const ready = await h.store.clusters.countReadyNodes([web.id, db.id, 'empty']);
    expect(Object.fromEntries(ready)).toEqual({ [web.id]: 2, [db.id]: 1, empty: 0 });
    expect((await h.store.clusters.countReadyNodes([])).size).toBe(0);
  });

  it('counts clusters by status and nodes by state, each in one grouped query', async () => {
    expect((await h.store.clusters.countByStatus()).size).toBe(0);
    expect((await h.store.clusters.countNodesByState()).size).toBe(0);
    const a = await account('a');
    const web = await cluster(a.id, 'web');
    await cluster(a.id, 'db');
    const api = await cluster(a.id, 'api');
    await h.store.clusters.transition(web.id, 'start');
    await h.store.clusters.transition(api.id, 'delete');
    const node = (index: number, status: string): ClusterNode => ({ clusterId: web.id, index, role: index === 0 ? 'manager' : 'worker', containerId: null, address: null, status });
    await h.store.clusters.replaceNodes(web.id, [node(0, 'ready'), node(1, 'joining'), node(2, 'ready')]);
    expect(Object.fromEntries(await h.store.clusters.countByStatus())).toEqual({ new: 1, building: 1, deleting: 1 });
    expect(Object.fromEntries(await h.store.clusters.countNodesByState())).toEqual({ ready: 2, joining: 1 });
  });

  it('has a fleet version that moves with every change those counts could show, and only then', async () => {
    const versions: string[] = [await h.store.clusters.fleetVersion()];
    const moved = async () => {
      const now = await h.store.clusters.fleetVersion();
      expect(versions).not.toContain(now);
      versions.push(now);
    };
    const a = await account('a');
    await moved(); // an account came
    const web = await cluster(a.id, 'web');
    await moved();
    await h.store.clusters.transition(web.id, 'start');
    await moved();
    const node = (status: string): ClusterNode => ({ clusterId: web.id, index: 0, role: 'manager', containerId: null, address: null, status });
    await h.store.clusters.replaceNodes(web.id, [node('joining')]);
    await moved();
    await h.store.clusters.replaceNodes(web.id, [node('ready')]);
    await moved();
    await cluster((await account('b')).id, 'db');
    await moved();
    // Reads and writes no count shows leave it.
    await h.store.clusters.countByStatus();
    await h.store.clusters.update(web.id, { failures: 2 });
    expect(await h.store.clusters.fleetVersion()).toBe(versions.at(-1));
  });

  it('has an endpoints version that moves with the fleet version and with every key-material write, and only then', async () => {
    const versions: string[] = [await h.store.clusters.endpointsVersion()];
    const moved = async () => {
      const now = await h.store.clusters.endpointsVersion();
      expect(versions).not.toContain(now);
      versions.push(now);
    };
    const a = await account('a');
    await moved();
    const web = await cluster(a.id, 'web');
    await moved();
    await h.store.clusters.putPki(web.id, PKI);
    await moved(); // the listener can open now
    await h.store.clusters.putPki(web.id, { ...PKI, clientSerial: '02' });
    await moved(); // rotated: the listener serves the new material
    await h.store.clusters.transition(web.id, 'start');
    await moved();
    await h.store.clusters.update(web.id, { failures: 1 });
    await h.store.clusters.getPki(web.id);
    expect(await h.store.clusters.endpointsVersion()).toBe(versions.at(-1));
    await h.store.clusters.delete(web.id);
    await moved();
  });

  it('appends and lists events in order, after an id and up to a limit', async () => {
    const a = await account('a');
    const c = await cluster(a.id, 'web');
    const other = await cluster(a.id, 'api');
    const e1 = await h.store.events.append(c.id, 'created', 'cluster created');
    await h.store.events.append(other.id, 'created', 'other');
    h.advance(5);
    const e2 = await h.store.events.append(c.id, 'building', 'starting nodes');
    const e3 = await h.store.events.append(c.id, 'active', 'ready');
    expect(e1).toEqual({ id: e1.id, clusterId: c.id, at: new Date(h.now() - 5), type: 'created', message: 'cluster created' });
    expect(e2.id).toBeGreaterThan(e1.id);
    expect(e3.id).toBeGreaterThan(e2.id);
    expect(await h.store.events.list(c.id)).toEqual([e1, e2, e3]);
    expect(await h.store.events.list(c.id, { afterId: e1.id })).toEqual([e2, e3]);
    expect(await h.store.events.list(c.id, { afterId: e3.id })).toEqual([]);
    expect(await h.store.events.list(c.id, { limit: 2 })).toEqual([e1, e2]);
    await expect(h.store.events.append('missing', 'x', 'y')).rejects.toMatchObject({ code: ErrorCode.CLUSTER_NOT_FOUND });
  });

  it('stores key material and deletes it with the nodes and events of its cluster', async () => {
    const a = await account('a');
    const c = await cluster(a.id, 'web');
    const keep = await cluster(a.id, 'keep');
    const endpoints = async () => (await h.store.clusters.listEndpoints()).sort((x, y) => x.id.localeCompare(y.id));
    const byId = (...list: { id: string; status: string; pkiVersion: number | undefined }[]) => list.sort((x, y) => x.id.localeCompare(y.id));
    expect(await endpoints()).toEqual(byId({ id: c.id, status: 'new', pkiVersion: undefined }, { id: keep.id, status: 'new', pkiVersion: undefined }));
    await h.store.clusters.putPki(c.id, PKI);
    expect(await endpoints()).toEqual(byId({ id: c.id, status: 'new', pkiVersion: 1 }, { id: keep.id, status: 'new', pkiVersion: undefined }));
    await h.store.clusters.putPki(c.id, { ...PKI, clientSerial: '02' });
    await h.store.clusters.transition(c.id, 'start');
    expect(await h.store.clusters.getPki(c.id)).toEqual({ ...PKI, clientSerial: '02' });
    expect(await endpoints()).toEqual(byId({ id: c.id, status: 'building', pkiVersion: 2 }, { id: keep.id, status: 'new', pkiVersion: undefined })); // each write raises it
    await expect(h.store.clusters.putPki('missing', PKI)).rejects.toMatchObject({ code: ErrorCode.CLUSTER_NOT_FOUND });
    await h.store.clusters.putPki(keep.id, PKI);
    for (const id of [c.id, keep.id]) {
      await h.store.clusters.replaceNodes(id, [{ clusterId: id, index: 0, role: 'manager', containerId: null, address: null, status: 'ready' }]);
      await h.store.events.append(id, 'created', 'hello');
    }

    await h.store.clusters.delete(c.id);
    expect(await h.store.clusters.getById(c.id)).toBeUndefined();
    expect(await h.store.clusters.getPki(c.id)).toBeUndefined();
    expect(await endpoints()).toEqual([{ id: keep.id, status: 'new', pkiVersion: 1 }]);
    expect(await h.store.clusters.listNodes(c.id)).toEqual([]);
    expect(await h.store.events.list(c.id)).toEqual([]);
    expect(await h.store.clusters.getPki(keep.id)).toEqual(PKI);
    expect(await h.store.clusters.listNodes(keep.id)).toHaveLength(1);
    expect(await h.store.events.list(keep.id)).toHaveLength(1);
    expect((await cluster(a.id, 'web')).name).toBe('web');
  });
});
