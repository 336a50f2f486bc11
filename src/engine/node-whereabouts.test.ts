import { describe, expect, it } from 'vitest';
import { nodeKey, NodeWhereabouts } from './node-whereabouts.js';

const at = (host: string, port: number) => ({ host, address: `10.0.0.${host.slice(1)}`, port });

describe('NodeWhereabouts', () => {
  it('remembers where nodes answer, and that their cluster is placed on hosts', () => {
    const w = new NodeWhereabouts();
    expect(w.isPlaced('c1')).toBe(false);
    w.found('c1', 1, at('h2', 32001));
    expect(w.at('c1', 1)).toEqual(at('h2', 32001));
    expect(w.at('c1', 0)).toBeUndefined();
    expect(w.isPlaced('c1')).toBe(true);
  });

  it('manages through node 0 until another node is recorded, and forgets that with the cluster', () => {
    const w = new NodeWhereabouts();
    expect([w.manager('c1'), w.knownManager('c1')]).toEqual([0, undefined]);
    w.setManager('c1', 1);
    expect([w.manager('c1'), w.knownManager('c1')]).toEqual([1, 1]);
    w.found('c1', 0, at('h1', 32000));
    w.forget('c1', 0); // one node: the cluster's other facts stay
    expect([w.at('c1', 0), w.manager('c1'), w.isPlaced('c1')]).toEqual([undefined, 1, true]);
    w.forget('c1');
    expect([w.manager('c1'), w.isPlaced('c1')]).toEqual([0, false]);
  });

  it("forgets a host's nodes but those kept, and no other cluster's with a similar id", () => {
    const w = new NodeWhereabouts();
    w.found('c1', 0, at('h1', 32000));
    w.found('c1', 1, at('h1', 32001));
    w.found('c1', 2, at('h2', 32002));
    w.found('c10', 0, at('h2', 32003));
    w.forgetHost('h1', new Set([nodeKey('c1', 1)]));
    expect([0, 1, 2].map((i) => w.at('c1', i)?.port)).toEqual([undefined, 32001, 32002]);
    w.forget('c1');
    expect(w.at('c10', 0)?.port).toBe(32003);
  });
});
