import { beforeEach, describe, expect, it } from 'vitest';
import { fencedError } from '../core/errors.js';
import type { Host } from '../core/ports.js';
import type { ShellSpec } from '../core/warm-pool.js';
import { FakeEngine } from './test-support/fake-engine.js';
import { MemoryShells } from './test-support/memory-shells.js';
import { LOW_MEMORY_BYTES, REFILL_DELAY_MS, WarmPoolKeeper, type WarmPoolKeeperOptions } from './warm-pool-keeper.js';

const FLAVOR = 'container1-4G';
const RANGE = { from: 24000, to: 24009 };

describe('WarmPoolKeeper', () => {
  let shells: MemoryShells;
  let hosts: Host[];
  let engine: FakeEngine;
  let now: number;
  let logs: string[];
  let ids: number;

  beforeEach(() => {
    shells = new MemoryShells({ now: () => new Date(now) });
    hosts = [];
    engine = new FakeEngine();
    now = Date.parse('2026-12-03T12:00:00Z');
    logs = [];
    ids = 0;
  });

  const keeper = (wanted: ShellSpec[], over: Partial<WarmPoolKeeperOptions> = {}) =>
    new WarmPoolKeeper({
      shells,
      hosts: { list: () => Promise.resolve(hosts) },
      engine,
      wanted,
      portRange: RANGE,
      newId: () => `s${++ids}`,
      clock: { now: () => new Date(now) },
      log: (line) => logs.push(line),
      checkLease: () => Promise.resolve(),
      ...over,
    });
  const pool = async () => (await shells.list()).map((s) => `${s.id}:${s.nodeCount}:${s.port}:${s.ready ? 'ready' : 'building'}`);
  const builds = () => engine.calls.filter((c) => c.startsWith('buildShell') || c.startsWith('purgeCluster'));

  it('reserves and builds one shell per spec, on ports of the clusters’ range, and then has nothing to do', async () => {
    const k = keeper([{ flavor: FLAVOR, nodeCount: 1 }, { flavor: FLAVOR, nodeCount: 3 }]);
    await k.pass();
    expect(await pool()).toEqual(['s1:1:24000:ready', 's2:3:24001:ready']);
    expect(builds()).toEqual(['buildShell s1 1', 'buildShell s2 3']);
    expect(engine.cluster('s2').containers.size).toBe(3);
    expect(logs).toContainEqual(expect.stringMatching(/^warm pool: shell s2 \(3 × container1-4G, port 24001\) ready in \d+\.\d s$/));
    await k.pass();
    expect(builds()).toHaveLength(2);
  });

  it('builds another shell once a create took one', async () => {
    const k = keeper([{ flavor: FLAVOR, nodeCount: 3 }]);
    await k.pass();
    expect(shells.take('s1')).toBe(true);
    await k.pass();
    expect((await shells.list()).map((s) => [s.id, s.ready])).toEqual([['s2', true]]);
    expect(builds()).toEqual(['buildShell s1 3', 'buildShell s2 3']);
  });

  it('waits a moment after a create took a shell before it builds the next (the taking cluster converges first)', async () => {
    const k = keeper([{ flavor: FLAVOR, nodeCount: 1 }]);
    await k.pass();
    expect(shells.take('s1')).toBe(true);
    k.taken();
    await k.pass();
    expect(builds()).toEqual(['buildShell s1 1']);
    now += REFILL_DELAY_MS;
    await k.pass();
    expect(builds()).toEqual(['buildShell s1 1', 'buildShell s2 1']);
  });

  it('takes up a build a crash interrupted: the reserved shell is built, not another reserved', async () => {
    await shells.reserve({ id: 'left', flavor: FLAVOR, nodeCount: 3 }, RANGE);
    await keeper([{ flavor: FLAVOR, nodeCount: 3 }]).pass();
    expect(await pool()).toEqual(['left:3:24000:ready']);
    expect(builds()).toEqual(['buildShell left 3']);
  });

  it('removes the shells no longer wanted: the row first, then the objects', async () => {
    await keeper([{ flavor: FLAVOR, nodeCount: 1 }, { flavor: FLAVOR, nodeCount: 3 }]).pass();
    engine.calls.length = 0;
    await keeper([{ flavor: FLAVOR, nodeCount: 3 }]).pass();
    expect(await pool()).toEqual(['s2:3:24001:ready']);
    expect(builds()).toEqual(['purgeCluster s1']);
    expect(logs).toContain('warm pool: removing shell s1 (1 × container1-4G): not wanted any more');
    await keeper([]).pass();
    expect(await pool()).toEqual([]);
  });

  it('keeps the pool empty while hosts are registered', async () => {
    await keeper([{ flavor: FLAVOR, nodeCount: 1 }]).pass();
    hosts.push({ name: 'h1', dockerHost: 'tcp://10.0.0.1:2376', tlsDir: '/x', state: 'ready', allocatableNanoCpus: 2e9, allocatableMemoryBytes: 8 * 1024 ** 3, createdAt: new Date(now), updatedAt: new Date(now), lastSeenAt: null });
    await keeper([{ flavor: FLAVOR, nodeCount: 1 }]).pass();
    expect(await pool()).toEqual([]);
    expect(logs).toContain('warm pool: removing shell s1 (1 × container1-4G): hosts are registered');
  });

  it('gives its idle nodes back first when the machine runs short of memory, and builds again once there is room', async () => {
    let available = 8 * 1024 ** 3;
    const k = keeper([{ flavor: FLAVOR, nodeCount: 3 }], { availableMemory: () => available });
    await k.pass();
    available = LOW_MEMORY_BYTES - 1;
    await k.pass();
    expect(await pool()).toEqual([]);
    expect(logs).toContain('warm pool: removing shell s1 (3 × container1-4G): the machine runs short of memory (1024 MiB available)');
    await k.pass();
    expect(builds()).toEqual(['buildShell s1 3', 'purgeCluster s1']);
    available = LOW_MEMORY_BYTES;
    await k.pass();
    expect(await pool()).toEqual(['s2:3:24000:ready']);
  });

  it('after a failed build waits before trying again, then finishes the same shell', async () => {
    const k = keeper([{ flavor: FLAVOR, nodeCount: 3 }], { retryAfterMs: 30_000 });
    engine.failNext('buildShell', new Error('engine: no space left on device'));
    await k.pass();
    expect(await pool()).toEqual(['s1:3:24000:building']);
    expect(logs).toContain('warm pool: engine: no space left on device (tried again in 30 s)');
    await k.pass();
    expect(builds()).toEqual(['buildShell s1 3']); // paused
    now += 30_000;
    await k.pass();
    expect(await pool()).toEqual(['s1:3:24000:ready']);
  });

  it('does nothing to the engine or the store once this replica may no longer lead', async () => {
    await keeper([{ flavor: FLAVOR, nodeCount: 1 }], { checkLease: () => Promise.reject(fencedError(undefined)) }).pass();
    expect(await pool()).toEqual([]);
    expect(builds()).toEqual([]);
    expect(logs[0]).toMatch(/^warm pool: stopped: /);
  });
});
