import { describe, expect, it } from 'vitest';
import { FLAVORS, type Flavor } from './flavors.js';
import { chooseManagers, placementPool, placeNodes, type HostState, type Overcommit, type PlacementHost } from './placement.js';

const GiB = 1024 ** 3;
const flavor = FLAVORS[0]!; // container1-4G: 4 GiB, 2 vCPUs
const small: Flavor = { name: 'tiny', memoryBytes: 1 * GiB, vcpus: 1, diskGb: 5 };

/** A host of `cpus` vCPUs and `mem` GiB holding `nodes` nodes of container1-4G, each of the cluster named. */
function host(name: string, cpus: number, mem: number, nodes: readonly string[] = [], state: HostState = 'ready'): PlacementHost {
  return Object.freeze({
    name,
    state,
    allocatableNanoCpus: cpus * 1e9,
    allocatableMemoryBytes: mem * GiB,
    nodes: Object.freeze(nodes.map((clusterId) => Object.freeze({ clusterId, nanoCpus: flavor.vcpus * 1e9, memoryBytes: flavor.memoryBytes }))),
  });
}

const ONE_TO_ONE: Overcommit = { cpu: 1, memory: 1 };

describe('placeNodes: where each new node goes', () => {
  const cases: { name: string; hosts: PlacementHost[]; count: number; cluster?: string; overcommit?: Overcommit; flavor?: Flavor; want: string[] }[] = [
    { name: 'nothing to place', hosts: [host('a', 8, 16)], count: 0, want: [] },
    { name: 'spreads a cluster over distinct hosts', hosts: [host('a', 8, 16), host('b', 8, 16), host('c', 8, 16)], count: 3, want: ['a', 'b', 'c'] },
    {
      name: 'a host without the cluster before one with more room',
      hosts: [host('big', 64, 256, ['c1']), host('small', 8, 8)],
      count: 1,
      cluster: 'c1',
      want: ['small'],
    },
    {
      name: 'among equals in spread, the most room first',
      hosts: [host('a', 8, 8), host('b', 8, 16), host('c', 8, 12)],
      count: 3,
      want: ['b', 'c', 'a'],
    },
    {
      name: 'same room: the most free memory, then the name',
      hosts: [host('d', 8, 9), host('c', 8, 8.5), host('b', 8, 8.5), host('a', 8, 8)],
      count: 4,
      want: ['d', 'b', 'c', 'a'],
    },
    { name: 'several on one host when it is the only way', hosts: [host('a', 8, 12)], count: 3, want: ['a', 'a', 'a'] },
    {
      name: 'spreads first, then stacks where room is left',
      hosts: [host('a', 8, 8), host('b', 8, 4)],
      count: 3,
      want: ['a', 'b', 'a'],
    },
    {
      name: 'other clusters’ nodes take capacity but do not repel',
      hosts: [host('a', 8, 16, ['x', 'x']), host('b', 8, 4)],
      count: 1,
      want: ['a'],
    },
    {
      name: 'reservations count against room',
      hosts: [host('a', 8, 16, ['x', 'x', 'y']), host('b', 8, 16, ['x'])],
      count: 2,
      want: ['b', 'a'],
    },
    {
      name: 'draining and down hosts take nothing',
      hosts: [host('a', 64, 64, [], 'draining'), host('b', 64, 64, [], 'down'), host('c', 8, 8)],
      count: 2,
      want: ['c', 'c'],
    },
    {
      name: 'CPU overcommitted 4× by default: 8 nodes of 2 vCPUs on 4 vCPUs',
      hosts: [host('a', 4, 32)],
      count: 8,
      want: Array<string>(8).fill('a'),
    },
    {
      name: 'memory overcommit is configurable: 1.5 × 8 GiB takes 3 nodes of 4 GiB',
      hosts: [host('a', 64, 8)],
      count: 3,
      overcommit: { cpu: 1, memory: 1.5 },
      want: ['a', 'a', 'a'],
    },
    { name: 'another flavor counts its own reservation', hosts: [host('a', 2, 2)], count: 2, flavor: small, overcommit: ONE_TO_ONE, want: ['a', 'a'] },
  ];
  it.each(cases)('$name', (c) => {
    const outcome = placeNodes(c.hosts, { clusterId: c.cluster ?? 'new', count: c.count, flavor: c.flavor ?? flavor, ...(c.overcommit && { overcommit: c.overcommit }) });
    expect(outcome).toEqual({ ok: true, hosts: c.want });
  });

  it('is deterministic: the same hosts in any order give the same answer', () => {
    const hosts = Array.from({ length: 40 }, (_, i) => host(`h${String(i).padStart(2, '0')}`, 8, 8 + (i % 3) * 4, i % 4 === 0 ? ['c1'] : []));
    const first = placeNodes(hosts, { clusterId: 'c1', count: 30, flavor });
    for (const k of [1, 7, 13, 29]) {
      const rotated = [...hosts.slice(k), ...hosts.slice(0, k)].reverse();
      expect(placeNodes(rotated, { clusterId: 'c1', count: 30, flavor })).toEqual(first);
    }
    expect(first.ok && new Set(first.hosts.slice(0, 30)).size).toBe(30); // 30 hosts without c1 come first
  });
});

describe('placeNodes: refusals say what is missing, and place nothing', () => {
  const cases: { name: string; hosts: PlacementHost[]; count: number; overcommit?: Overcommit; fits: number; message: string }[] = [
    {
      name: 'the example of the issue',
      hosts: [host('h1', 8, 4), host('h2', 8, 6.5, ['x']), host('h3', 64, 64, [], 'draining'), host('h4', 64, 64, [], 'down')],
      count: 3,
      fits: 1,
      message: 'needs 3 nodes of container1-4G (4 GiB, 2 vCPUs each); 1 fits: h1 has room for 1, h2 has 2.5 GiB of memory free, h3 is draining, h4 is down',
    },
    { name: 'no host at all', hosts: [], count: 1, fits: 0, message: 'needs 1 node of container1-4G (4 GiB, 2 vCPUs each); 0 fit: no host is registered' },
    {
      name: 'short of CPU, of both',
      hosts: [host('a', 1, 64), host('b', 1.5, 2)],
      count: 1,
      overcommit: ONE_TO_ONE,
      fits: 0,
      message: 'needs 1 node of container1-4G (4 GiB, 2 vCPUs each); 0 fit: a has 1 vCPU free, b has 2 GiB of memory and 1.5 vCPUs free',
    },
    {
      name: 'room on several hosts, not enough in all',
      hosts: [host('a', 8, 8), host('b', 8, 4), host('c', 8, 3)],
      count: 4,
      fits: 3,
      message: 'needs 4 nodes of container1-4G (4 GiB, 2 vCPUs each); 3 fit: a has room for 2, b has room for 1, c has 3 GiB of memory free',
    },
    {
      name: 'a large pool: five hosts named, the rest counted',
      hosts: [
        ...Array.from({ length: 6 }, (_, i) => host(`full${i}`, 8, 4, ['x'])),
        host('one', 8, 4),
        host('gone', 8, 8, [], 'down'),
        host('d1', 8, 8, [], 'draining'),
        host('d2', 8, 8, [], 'draining'),
      ],
      count: 2,
      fits: 1,
      message:
        'needs 2 nodes of container1-4G (4 GiB, 2 vCPUs each); 1 fits: one has room for 1, full0 has 0 GiB of memory free, full1 has 0 GiB of memory free, ' +
        'full2 has 0 GiB of memory free, full3 has 0 GiB of memory free, and 5 more hosts (2 full, 2 draining, 1 down)',
    },
  ];
  it.each(cases)('$name', (c) => {
    const outcome = placeNodes(c.hosts, { clusterId: 'new', count: c.count, flavor, ...(c.overcommit && { overcommit: c.overcommit }) });
    expect(outcome).toMatchObject({ ok: false, needed: c.count, fits: c.fits, message: c.message });
    expect(outcome).not.toHaveProperty('hosts'); // all or nothing: no node of a refused request has a host
  });

  it('refuses the whole request when all but one node fit', () => {
    const hosts = Array.from({ length: 9 }, (_, i) => host(`h${i}`, 8, 4));
    expect(placeNodes(hosts, { clusterId: 'c', count: 9, flavor })).toMatchObject({ ok: true });
    expect(placeNodes(hosts, { clusterId: 'c', count: 10, flavor })).toMatchObject({ ok: false, needed: 10, fits: 9 });
  });

  it('lists every host’s room in the refusal, for the API to show', () => {
    const outcome = placeNodes([host('a', 8, 6, ['x']), host('b', 8, 8, [], 'down')], { clusterId: 'c', count: 1, flavor });
    expect(outcome.ok === false && outcome.rooms).toEqual([
      { name: 'a', state: 'ready', room: 0, freeNanoCpus: 30e9, freeMemoryBytes: 2 * GiB },
      { name: 'b', state: 'down', room: 0, freeNanoCpus: 32e9, freeMemoryBytes: 8 * GiB },
    ]);
  });

  it('counts a host reserved beyond a lowered ratio as having nothing free', () => {
    const outcome = placeNodes([host('a', 2, 16, ['x', 'x'])], { clusterId: 'c', count: 1, flavor, overcommit: ONE_TO_ONE });
    expect(outcome).toMatchObject({ ok: false, message: 'needs 1 node of container1-4G (4 GiB, 2 vCPUs each); 0 fit: a has 0 vCPUs free' });
  });

  it.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY])('rejects an overcommit ratio of %s', (ratio) => {
    expect(() => placeNodes([], { clusterId: 'c', count: 1, flavor, overcommit: { cpu: ratio, memory: 1 } })).toThrow(RangeError);
  });
});

describe('chooseManagers', () => {
  const cases: { name: string; hosts: (string | null)[]; managers: number[]; survivesHostLoss: boolean }[] = [
    { name: 'no node', hosts: [], managers: [], survivesHostLoss: false },
    { name: 'one node: one manager', hosts: ['a'], managers: [0], survivesHostLoss: false },
    { name: 'two nodes: one manager, as today', hosts: ['a', 'b'], managers: [0], survivesHostLoss: false },
    { name: 'three nodes on three hosts', hosts: ['a', 'b', 'c'], managers: [0, 1, 2], survivesHostLoss: true },
    { name: 'the lowest index on each distinct host', hosts: ['a', 'a', 'b', 'b', 'c'], managers: [0, 2, 4], survivesHostLoss: true },
    { name: 'two hosts only: three managers, one host holds two', hosts: ['a', 'b', 'a', 'b'], managers: [0, 1, 2], survivesHostLoss: false },
    { name: 'the local engine is one host', hosts: [null, null, null], managers: [0, 1, 2], survivesHostLoss: false },
  ];
  it.each(cases)('$name', (c) => {
    const nodes = c.hosts.map((h, index) => ({ index, host: h })).reverse(); // order of the input does not matter
    expect(chooseManagers(nodes)).toEqual({ managers: c.managers, survivesHostLoss: c.survivesHostLoss });
  });

  it('keeps the first node (the one that formed the swarm) a manager', () => {
    expect(chooseManagers([{ index: 0, host: 'a' }, { index: 1, host: 'a' }, { index: 2, host: 'b' }, { index: 3, host: 'c' }]).managers).toEqual([0, 2, 3]);
  });

  it('falls out of placement: a new 3-node cluster on a pool of 3+ hosts gets managers that survive a host loss', () => {
    const placed = placeNodes([host('a', 8, 64), host('b', 8, 8), host('c', 8, 16), host('d', 8, 4)], { clusterId: 'n', count: 5, flavor });
    expect(placed).toEqual({ ok: true, hosts: ['a', 'c', 'b', 'd', 'a'] });
    const hosts = placed.ok ? placed.hosts : [];
    expect(chooseManagers(hosts.map((h, index) => ({ index, host: h })))).toEqual({ managers: [0, 1, 2], survivesHostLoss: true });
  });
});

describe('placementPool: the stored hosts and placed nodes as placement sees them', () => {
  const hosts = [
    { name: 'a', state: 'ready' as const, allocatableNanoCpus: 8e9, allocatableMemoryBytes: 16 * GiB },
    { name: 'b', state: 'draining' as const, allocatableNanoCpus: 8e9, allocatableMemoryBytes: 16 * GiB },
  ];

  it('groups the placed nodes by host, each reserving its flavor', () => {
    const pool = placementPool(hosts, [{ host: 'a', clusterId: 'c1', flavor: 'container1-4G' }, { host: 'a', clusterId: 'c2', flavor: 'tiny' }], [flavor, small]);
    expect(pool).toEqual([
      { ...hosts[0], nodes: [{ clusterId: 'c1', nanoCpus: 2e9, memoryBytes: 4 * GiB }, { clusterId: 'c2', nanoCpus: 1e9, memoryBytes: 1 * GiB }] },
      { ...hosts[1], nodes: [] },
    ]);
  });

  it('reserves the largest flavor for a node whose flavor is no longer offered, and ignores unknown hosts', () => {
    const pool = placementPool(hosts, [{ host: 'a', clusterId: 'c1', flavor: 'retired' }, { host: 'gone', clusterId: 'c1', flavor: 'tiny' }], [small, flavor]);
    expect(pool[0]?.nodes).toEqual([{ clusterId: 'c1', nanoCpus: 2e9, memoryBytes: 4 * GiB }]);
    expect(pool.flatMap((h) => h.nodes)).toHaveLength(1);
  });
});
