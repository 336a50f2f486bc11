import { describe, expect, it } from 'vitest';
import { FLAVORS, type Flavor } from './flavors.js';
import { allocatableCapacity, hostUsage } from './host-capacity.js';
import type { Host } from './ports.js';

const GiB = 1024 ** 3;
const engine = { cpus: 8, memoryBytes: 31.4 * GiB };

describe('allocatableCapacity', () => {
  it.each([
    ['all the engine has by default', {}, { ok: true, nanoCpus: 8e9, memoryBytes: Math.floor(31.4 * GiB) }],
    ['less when asked', { cpus: 6, memoryBytes: 24 * GiB }, { ok: true, nanoCpus: 6e9, memoryBytes: 24 * GiB }],
    ['fractions of a CPU', { cpus: 1.5 }, { ok: true, nanoCpus: 1.5e9, memoryBytes: Math.floor(31.4 * GiB) }],
    ['exactly what the engine has', { cpus: 8, memoryBytes: 31.4 * GiB }, { ok: true, nanoCpus: 8e9, memoryBytes: Math.floor(31.4 * GiB) }],
  ])('gives %s', (_, limits, expected) => {
    expect(allocatableCapacity(engine, limits)).toEqual(expected);
  });

  it.each([
    ['more CPUs than the engine has', { cpus: 9 }, '--cpus 9 is more than the engine has (8 CPUs)'],
    ['more memory than the engine has', { memoryBytes: 32 * GiB }, '--memory-gib 32 GiB is more than the engine has (31.4 GiB)'],
    ['no CPU', { cpus: 0 }, '--cpus must be a positive number (got 0)'],
    ['negative memory', { memoryBytes: -1 }, '--memory-gib must be a positive number'],
  ])('refuses %s', (_, limits, problem) => {
    const outcome = allocatableCapacity(engine, limits);
    expect(outcome.ok).toBe(false);
    expect(!outcome.ok && outcome.problem).toContain(problem);
  });
});

describe('hostUsage', () => {
  const at = new Date('2030-01-01T00:00:00Z');
  const host = (name: string, state: Host['state'] = 'ready'): Host => ({
    name,
    dockerHost: `tcp://${name}:2376`,
    tlsDir: `/etc/carina/hosts/${name}`,
    state,
    allocatableNanoCpus: 8e9,
    allocatableMemoryBytes: 32 * GiB,
    createdAt: at,
    updatedAt: at,
    lastSeenAt: null,
  });
  const small: Flavor = { name: 'small', memoryBytes: 1 * GiB, vcpus: 1, diskGb: 10 };
  const flavors = [...FLAVORS, small];

  it('counts each host’s nodes and their flavors’ reservations; a host with none reserves nothing', () => {
    const placed = [
      { clusterId: 'c1', index: 0, host: 'h1', flavor: 'container1-4G' },
      { clusterId: 'c1', index: 1, host: 'h1', flavor: 'container1-4G' },
      { clusterId: 'c2', index: 0, host: 'h1', flavor: 'small' },
      { clusterId: 'c1', index: 2, host: 'h3', flavor: 'container1-4G' },
    ];
    const usage = hostUsage([host('h1'), host('h2', 'draining'), host('h3', 'down')], placed, flavors);
    expect(usage.map((u) => [u.host.name, u.host.state, u.nodes, u.reservedNanoCpus, u.reservedMemoryBytes])).toEqual([
      ['h1', 'ready', 3, 5e9, 9 * GiB],
      ['h2', 'draining', 0, 0, 0],
      ['h3', 'down', 1, 2e9, 4 * GiB],
    ]);
  });

  it('reserves the largest flavor for a node whose flavor is no longer offered, as placement does', () => {
    const usage = hostUsage([host('h1')], [{ clusterId: 'c1', index: 0, host: 'h1', flavor: 'retired' }], flavors);
    expect([usage[0]?.reservedNanoCpus, usage[0]?.reservedMemoryBytes]).toEqual([2e9, 4 * GiB]);
  });
});
