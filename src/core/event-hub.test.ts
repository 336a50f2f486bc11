import { describe, expect, it } from 'vitest';
import { EventHub, type EventSink } from './event-hub.js';
import type { LoggedEvent } from './ports.js';

const ev = (id: number, accountId = 'a', clusterId = 'c1'): LoggedEvent => ({ id, accountId, clusterId, clusterName: clusterId, at: new Date(0), type: 't', message: `m${id}` });

function recorder(): EventSink & { ids: number[]; goneCount: number } {
  const r = {
    ids: [] as number[],
    goneCount: 0,
    events: (events: readonly LoggedEvent[]) => r.ids.push(...events.map((e) => e.id)),
    gone: () => (r.goneCount += 1),
  };
  return r;
}

describe('EventHub', () => {
  it('hands each stream the events of its scope only: its account, and its cluster if it has one', () => {
    const hub = new EventHub();
    const all = recorder();
    const one = recorder();
    const other = recorder();
    hub.subscribe({ accountId: 'a' }, 0, all).caughtUp(0);
    hub.subscribe({ accountId: 'a', clusterId: 'c2' }, 0, one).caughtUp(0);
    hub.subscribe({ accountId: 'b' }, 0, other).caughtUp(0);
    hub.publish([ev(1), ev(2, 'a', 'c2'), ev(3, 'b', 'c9'), ev(4)]);
    expect(all.ids).toEqual([1, 2, 4]);
    expect(one.ids).toEqual([2]);
    expect(other.ids).toEqual([3]);
  });

  it('keeps what is published during a catch-up and hands on only what the catch-up did not read, once, in order', () => {
    const hub = new EventHub();
    const r = recorder();
    const sub = hub.subscribe({ accountId: 'a' }, 5, r);
    hub.publish([ev(7), ev(8)]);
    hub.publish([ev(9)]);
    expect(r.ids).toEqual([]);
    sub.caughtUp(8); // the store's catch-up read 6, 7 and 8
    expect(r.ids).toEqual([9]);
    hub.publish([ev(9), ev(10)]); // published again (a repeated page): not twice
    expect(r.ids).toEqual([9, 10]);
  });

  it('never hands on events at or before where the stream started', () => {
    const hub = new EventHub();
    const r = recorder();
    hub.subscribe({ accountId: 'a' }, 10, r).caughtUp(10);
    hub.publish([ev(9), ev(10), ev(11)]);
    expect(r.ids).toEqual([11]);
  });

  it('forgets a closed stream, and one closed during its catch-up gets nothing', () => {
    const hub = new EventHub();
    const r = recorder();
    const sub = hub.subscribe({ accountId: 'a' }, 0, r);
    expect(hub.size).toBe(1);
    hub.publish([ev(1)]);
    sub.close();
    sub.close();
    sub.caughtUp(0);
    hub.publish([ev(2)]);
    expect(r.ids).toEqual([]);
    expect(hub.size).toBe(0);
  });

  it('tells the streams of a deleted cluster, not those still catching up or of other clusters', () => {
    const hub = new EventHub();
    const [gone, kept, whole, early] = [recorder(), recorder(), recorder(), recorder()];
    hub.subscribe({ accountId: 'a', clusterId: 'c1' }, 0, gone).caughtUp(0);
    hub.subscribe({ accountId: 'a', clusterId: 'c2' }, 0, kept).caughtUp(0);
    hub.subscribe({ accountId: 'a' }, 0, whole).caughtUp(0);
    hub.subscribe({ accountId: 'a', clusterId: 'c1' }, 0, early);
    expect(hub.clusterIds().sort()).toEqual(['c1', 'c2']);
    hub.clustersGone(['c1', 'c2'], ['c2']);
    expect([gone.goneCount, kept.goneCount, whole.goneCount, early.goneCount]).toEqual([1, 0, 0, 0]);
  });

  it('fans one publish out to a thousand streams', () => {
    const hub = new EventHub();
    const sinks = Array.from({ length: 1000 }, () => recorder());
    for (const s of sinks) hub.subscribe({ accountId: 'a' }, 0, s).caughtUp(0);
    hub.publish([ev(1), ev(2)]);
    expect(sinks.every((s) => s.ids.join() === '1,2')).toBe(true);
  });
});
