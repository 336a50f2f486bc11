import { expect, it } from 'vitest';
import type { Store } from '../core/ports.js';
import type { ClusterNode } from '../core/types.js';
import { openStore } from './open-store.js';
import { describeStoreContract } from './test-support/store-contract.js';

// The version an API replica's list cache is checked against (ClusterRepository.listVersion): every
// write that changes what `GET /v1/clusters` shows must move it, whoever makes it.
describeStoreContract('Store contract: the list version', (h) => {
  const { account, cluster } = h;
  const node = (clusterId: string, index: number, status = 'ready'): ClusterNode => ({
    clusterId, index, role: index === 0 ? 'manager' : 'worker', containerId: null, address: null, status,
  });

  /** Runs `write` and says whether it moved the account's version (forward, never back). */
  const moves = async (accountId: string, write: () => Promise<unknown>, store: Store = h.store): Promise<boolean> => {
    const before = await store.clusters.listVersion(accountId);
    await write();
    const after = await store.clusters.listVersion(accountId);
    expect(after).toBeGreaterThanOrEqual(before);
    return after !== before;
  };

  it('moves with every kind of write to an account\'s clusters and nodes, and only that account\'s', async () => {
    const a = await account('a', { clusters: 5, nodes: 10 });
    const b = await account('b');
    expect(await h.store.clusters.listVersion(a.id)).toBe(0);
    expect(await h.store.clusters.listVersion('acc-nobody')).toBe(0);
    let web = await cluster(a.id, 'web');
    const other = await cluster(b.id, 'web');
    const versionOfB = await h.store.clusters.listVersion(b.id);

    expect(await moves(a.id, () => cluster(a.id, 'db'))).toBe(true); // create
    expect(await moves(a.id, () => h.store.clusters.transition(web.id, 'start'))).toBe(true); // status, by the reconciler
    expect(await moves(a.id, () => h.store.clusters.replaceNodes(web.id, [node(web.id, 0, 'starting')]))).toBe(true); // nodes appear
    expect(await moves(a.id, () => h.store.clusters.replaceNodes(web.id, [node(web.id, 0)]))).toBe(true); // a node turns Ready
    expect(await moves(a.id, () => h.store.clusters.transition(web.id, 'ready'))).toBe(true);
    expect(await moves(a.id, () => h.store.clusters.grow(web.id, 1, 10))).toBe(true); // grow
    expect(await moves(a.id, () => h.store.clusters.transition(web.id, 'ready'))).toBe(true);
    expect(await moves(a.id, () => h.store.clusters.resize(web.id, 1, 10))).toBe(true); // resize down
    h.advance(1000);
    expect(await moves(a.id, () => h.store.clusters.update(web.id, { autoscale: true }))).toBe(true); // autoscale
    expect(await moves(a.id, () => h.store.clusters.update(web.id, { statusReason: 'why' }))).toBe(true);
    web = (await h.store.clusters.getById(web.id)) ?? web;
    expect(await moves(a.id, () => h.store.clusters.replaceNodes(web.id, []))).toBe(true); // nodes gone
    expect(await moves(a.id, () => h.store.clusters.delete(web.id))).toBe(true); // delete

    // Nothing of B's list changed, and B's writes leave A alone.
    expect(await h.store.clusters.listVersion(b.id)).toBe(versionOfB);
    expect(await moves(a.id, () => h.store.clusters.replaceNodes(other.id, [node(other.id, 0)]))).toBe(false);
  });

  it('stays put for writes the list does not show: events, key material, the failure count, reads', async () => {
    const a = await account('a');
    const web = await cluster(a.id, 'web');
    expect(await moves(a.id, () => h.store.events.append(web.id, 'note', 'hello'))).toBe(false);
    expect(await moves(a.id, () => h.store.clusters.listByAccount(a.id))).toBe(false);
    expect(await moves(a.id, () => h.store.clusters.get(a.id, 'web'))).toBe(false);
    expect(await moves(a.id, () => h.store.accounts.setQuota(a.id, { clusters: 9 }))).toBe(false);
    // The store's clock stands still, so this rewrites the failure count alone (updated_at is the same).
    expect(await moves(a.id, () => h.store.clusters.update(web.id, { failures: 3 }))).toBe(false);
  });

  it('moves for a write made through another store on the same database (another replica)', async () => {
    const a = await account('a');
    const web = await cluster(a.id, 'web');
    const replica = await openStore({ url: h.url });
    try {
      // The version this replica reads moves with the other's writes, in both directions.
      expect(await moves(a.id, () => replica.clusters.transition(web.id, 'start'))).toBe(true);
      expect(await moves(a.id, () => replica.clusters.replaceNodes(web.id, [node(web.id, 0)]))).toBe(true);
      expect(await moves(a.id, () => replica.clusters.createWithinQuota(h.input(a.id, 'db'), { from: 20100, to: 20199 }))).toBe(true);
      expect(await moves(a.id, () => replica.clusters.delete(web.id))).toBe(true);
      expect(await moves(a.id, () => cluster(a.id, 'again'), replica)).toBe(true);
    } finally {
      await replica.close();
    }
  });
});
