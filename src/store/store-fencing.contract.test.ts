import { expect, it } from 'vitest';
import { ErrorCode } from '../core/errors.js';
import type { Fence, FencedStore } from '../core/ports.js';
import type { ClusterNode, ClusterPki } from '../core/types.js';
import { describeStoreContract } from './test-support/store-contract.js';

const PKI: ClusterPki = {
  caCert: 'ca-cert', caKey: 'ca-key', serverCert: 'srv-cert', serverKey: 'srv-key',
  clientCert: 'cli-cert', clientKey: 'cli-key', clientSerial: '01',
};
const TTL = 10_000;

// The fencing token: a leader's writes carry its lease's generation, and the store refuses them once
// the lease changed hands or expired — so a leader paused past its lease cannot finish old steps.
describeStoreContract('Store contract: fenced writes of a leader', (h) => {
  const { account, cluster } = h;
  const at = () => new Date(h.now());

  /** `holder` takes the lease; answers its fence. */
  async function lead(holder: string): Promise<Fence> {
    const lease = await h.store.leases.acquire('cp', holder, at(), TTL);
    if (!lease) throw new Error(`${holder} could not take the lease`);
    return { lease: 'cp', holder, generation: lease.generation };
  }

  /** Every write the reconciler and the autoscaler make, once each, on cluster `id` (status `new`). */
  function writes(view: FencedStore, id: string): Record<string, () => Promise<unknown>> {
    const node: ClusterNode = { clusterId: id, index: 0, role: 'manager', containerId: 'ctr', address: '10.0.0.2', status: 'ready' };
    return {
      transition: () => view.clusters.transition(id, 'start'),
      update: () => view.clusters.update(id, { failures: 3 }),
      replaceNodes: () => view.clusters.replaceNodes(id, [node]),
      putPki: () => view.clusters.putPki(id, { ...PKI, clientSerial: '02' }),
      grow: () => view.clusters.grow(id, 1, 5),
      append: () => view.events.append(id, 'node', 'node 0 started'),
      delete: () => view.clusters.delete(id),
    };
  }

  /** What a refused write must have left as it was. */
  async function snapshot(id: string) {
    return {
      cluster: await h.store.clusters.getById(id),
      nodes: await h.store.clusters.listNodes(id),
      events: await h.store.events.list(id),
      pki: await h.store.clusters.getPki(id),
    };
  }

  it('raises the generation with each new tenure and keeps it on renewals', async () => {
    expect((await lead('a')).generation).toBe(1);
    h.advance(TTL / 2);
    expect((await lead('a')).generation).toBe(1); // renewal
    h.advance(TTL);
    expect((await lead('b')).generation).toBe(2); // a's expired: b's tenure
    h.advance(TTL);
    expect((await lead('b')).generation).toBe(3); // b's own, but it lapsed: someone may have led in between
    await h.store.leases.release('cp', 'b');
    expect((await lead('a')).generation).toBe(4);
  });

  it("applies a leader's writes while its fence holds, and says whether it holds", async () => {
    const a = await account('a');
    const c = await cluster(a.id, 'web');
    await h.store.clusters.putPki(c.id, PKI);
    const fence = await lead('a');
    expect(await h.store.leases.holds(fence)).toBe(true);
    const view = h.store.fenced(() => fence);
    const all = writes(view, c.id);
    for (const [name, write] of Object.entries(all)) {
      if (name !== 'delete') await write();
    }
    expect(await snapshot(c.id)).toMatchObject({
      cluster: { status: 'building', failures: 3, nodeCount: 2 },
      nodes: [{ index: 0, containerId: 'ctr' }],
      events: [{ message: 'node 0 started' }],
      pki: { clientSerial: '02' },
    });
    await all['delete']?.();
    expect(await h.store.clusters.getById(c.id)).toBeUndefined();
  });

  const STALE: readonly (readonly [string, (fence: Fence) => Promise<Fence | undefined>])[] = [
    ['a stale generation (the lease lapsed and was taken again)', async () => {
      h.advance(TTL);
      await lead('a');
      return undefined; // keep the old fence
    }],
    ['an expired lease nobody took yet', () => {
      h.advance(TTL);
      return Promise.resolve(undefined);
    }],
    ['another holder', async () => {
      h.advance(TTL);
      await lead('b');
      return undefined;
    }],
    ['a fence of a holder that never held the lease', (fence) => Promise.resolve({ ...fence, holder: 'b' })],
    ['a released lease', async (fence) => {
      await h.store.leases.release('cp', fence.holder);
      return undefined;
    }],
  ];

  for (const [why, stale] of STALE) {
    it(`refuses every write under ${why}, and changes nothing`, async () => {
      const a = await account('a');
      const c = await cluster(a.id, 'web');
      await h.store.clusters.putPki(c.id, PKI);
      const held = await lead('a');
      const fence = (await stale(held)) ?? held;
      expect(await h.store.leases.holds(fence)).toBe(false);
      const before = await snapshot(c.id);
      for (const write of Object.values(writes(h.store.fenced(() => fence), c.id))) {
        await expect(write()).rejects.toMatchObject({ code: ErrorCode.FENCED });
      }
      expect(await snapshot(c.id)).toEqual(before);
    });
  }

  it('refuses at once when the leader cannot vouch for its lease (no fence), while API writes go through', async () => {
    const a = await account('a');
    const c = await cluster(a.id, 'web');
    await lead('b');
    const before = await snapshot(c.id);
    for (const write of Object.values(writes(h.store.fenced(() => undefined), c.id))) {
      await expect(write()).rejects.toMatchObject({ code: ErrorCode.FENCED });
    }
    expect(await snapshot(c.id)).toEqual(before);
    // The store itself (the API, on any replica) is not fenced.
    await h.store.clusters.update(c.id, { failures: 1 });
    await h.store.events.append(c.id, 'note', 'written by the API');
    expect((await h.store.clusters.getById(c.id))?.failures).toBe(1);
  });

  it('lets a takeover that races a fenced write land only after it: the write is never applied under the new holder', async () => {
    const a = await account('a');
    const c = await cluster(a.id, 'web');
    const fence = await lead('a');
    const view = h.store.fenced(() => fence);
    h.advance(TTL - 1);
    // The write and the takeover (which needs the lease expired) race; both orders are fine, but the
    // write must then be refused if the takeover went first.
    const [write] = await Promise.allSettled([view.events.append(c.id, 'node', 'late'), (async () => {
      h.advance(1);
      await lead('b');
    })()]);
    const events = await h.store.events.list(c.id);
    if (write.status === 'fulfilled') expect(events.map((e) => e.message)).toContain('late');
    else {
      expect(write.reason).toMatchObject({ code: ErrorCode.FENCED });
      expect(events.map((e) => e.message)).not.toContain('late');
    }
    expect(await h.store.leases.holds(fence)).toBe(false);
  });
});
