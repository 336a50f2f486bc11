import { setTimeout as sleep } from 'node:timers/promises';
import { expect, it } from 'vitest';
import { openStore } from './open-store.js';
import { describeStoreContract } from './test-support/store-contract.js';

// The event log as live streams read it: every cluster's events after an id, and the promise that an
// event never becomes visible after one with a higher id (a resumed stream would skip it for ever).
describeStoreContract('Store contract: the event log as streams read it', (h) => {
  it('lists every cluster’s events after an id in id order, with account and cluster name, or one account’s', async () => {
    const a = await h.account('a');
    const b = await h.account('b');
    const web = await h.cluster(a.id, 'web');
    const api = await h.cluster(b.id, 'api');
    expect(await h.store.events.lastId()).toBe(0);
    const e1 = await h.store.events.append(web.id, 'node', 'one');
    const e2 = await h.store.events.append(api.id, 'node', 'two');
    const e3 = await h.store.events.append(web.id, 'swarm', 'three');
    expect(await h.store.events.lastId()).toBe(e3.id);
    expect(await h.store.events.since(0, 10)).toEqual([
      { ...e1, accountId: a.id, clusterName: 'web' },
      { ...e2, accountId: b.id, clusterName: 'api' },
      { ...e3, accountId: a.id, clusterName: 'web' },
    ]);
    expect((await h.store.events.since(e1.id, 10)).map((e) => e.id)).toEqual([e2.id, e3.id]);
    expect((await h.store.events.since(0, 2)).map((e) => e.id)).toEqual([e1.id, e2.id]);
    expect((await h.store.events.since(0, 10, a.id)).map((e) => e.message)).toEqual(['one', 'three']);
    expect(await h.store.events.existing([web.id, api.id, 'gone'])).toEqual(expect.arrayContaining([web.id, api.id]));
    expect(await h.store.events.existing([])).toEqual([]);
    await h.store.clusters.delete(web.id);
    expect(await h.store.events.existing([web.id, api.id])).toEqual([api.id]);
    expect((await h.store.events.since(0, 10)).map((e) => e.id)).toEqual([e2.id]);
  });

  it('tells its listeners after each commit of events through any view of it, and only then', async () => {
    const a = await h.account('a');
    let told = 0;
    const stop = h.store.events.onCommit(() => (told += 1));
    const web = await h.cluster(a.id, 'web'); // no first event given: nothing committed to the log
    expect(told).toBe(0);
    await h.store.events.append(web.id, 'node', 'one');
    expect(told).toBe(1);
    await h.store.clusters.createWithinQuota({ ...h.input(a.id, 'api'), createdEvent: 'cluster requested' }, { from: 41000, to: 41099 });
    expect(told).toBe(2);
    // A leader's view that may not write: refused, so nothing to tell.
    await expect(h.store.fenced(() => undefined).events.append(web.id, 'node', 'two')).rejects.toThrow();
    expect(told).toBe(2);
    stop();
    await h.store.events.append(web.id, 'node', 'three');
    expect(told).toBe(2);
  });

  it('hears another replica’s commits of events at once on PostgreSQL (LISTEN/NOTIFY); on SQLite only its own', async () => {
    const a = await h.account('a');
    const web = await h.cluster(a.id, 'web');
    const replica = await openStore({ url: h.url }); // another control-plane replica on the same database
    const told: number[] = [];
    const stop = h.store.events.onCommit(() => told.push(performance.now()));
    const until = async (done: () => boolean, ms = 5_000) => {
      for (const end = performance.now() + ms; !done() && performance.now() < end; ) await sleep(2);
    };
    try {
      const postgres = h.url.startsWith('postgres');
      // Its connection that LISTENs opens with the first listener: from when it is told once, nothing is missed.
      for (let i = 0; postgres && told.length === 0 && i < 50; i++) {
        await replica.events.append(web.id, 'node', 'are you listening?');
        await until(() => told.length > 0, 500);
      }
      await sleep(100); // a probe's notification still on its way would be counted below
      const before = told.length;
      const start = performance.now();
      await replica.events.append(web.id, 'node', 'from the other replica');
      await replica.clusters.createWithinQuota({ ...h.input(a.id, 'api'), createdEvent: 'cluster requested' }, { from: 41000, to: 41099 });
      if (postgres) {
        await until(() => told.length >= before + 2);
        expect(told.length).toBe(before + 2);
        // The store does not poll: only the signal can have told it, and promptly.
        expect(told.at(-1)! - start).toBeLessThan(1_000);
      } else {
        await sleep(300);
        expect(told.length).toBe(before);
      }
      // Its own commits are told once, when they return, not again when its own notification comes back.
      const own = told.length;
      await h.store.events.append(web.id, 'node', 'its own');
      expect(told.length).toBe(own + 1);
      await sleep(200);
      expect(told.length).toBe(own + 1);
    } finally {
      stop();
      await replica.close();
    }
  });

  it('never shows an event after one with a higher id, with writers on two connections racing a reader', async () => {
    const a = await h.account('a');
    const clusters = await Promise.all(['c0', 'c1', 'c2', 'c3'].map((n) => h.cluster(a.id, n)));
    const other = await openStore({ url: h.url });
    try {
      let writing = true;
      const seen: number[] = [];
      const reader = (async () => {
        let last = 0;
        while (writing || seen.length === 0 || last < (await h.store.events.lastId())) {
          for (const e of await h.store.events.since(last, 1000)) {
            seen.push(e.id);
            last = e.id;
          }
        }
      })();
      const stores = [h.store, other];
      await Promise.all(
        Array.from({ length: 160 }, (_, i) => stores[i % 2]!.events.append(clusters[i % 4]!.id, 'node', `event ${i}`)),
      );
      writing = false;
      await reader;
      const all = (await h.store.events.since(0, 1000)).map((e) => e.id);
      expect(all).toHaveLength(160);
      expect(seen).toEqual(all);
    } finally {
      await other.close();
    }
  });
});
