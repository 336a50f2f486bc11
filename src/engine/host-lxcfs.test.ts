import { describe, expect, it } from 'vitest';
import { HOST_LXCFS_DIR, HostLxcfs } from './host-lxcfs.js';
import { lxcfsBinds } from './lxcfs-proc-files.js';

describe('lxcfsBinds', () => {
  it('binds each /proc file lxcfs serves read-only over the node\'s own', () => {
    const binds = lxcfsBinds(HOST_LXCFS_DIR);
    expect(binds).toContain('/var/lib/lxcfs/proc/meminfo:/proc/meminfo:ro');
    expect(binds).toContain('/var/lib/lxcfs/proc/cpuinfo:/proc/cpuinfo:ro');
    expect(binds.every((b) => b.endsWith(':ro'))).toBe(true);
  });
});

describe('HostLxcfs', () => {
  it('asks each host once a minute, and says when a host\'s answer changes', async () => {
    let now = 0;
    const logs: string[] = [];
    const lxcfs = new HostLxcfs((l) => logs.push(l), () => now);
    let asked = 0;
    let answer = true;
    const probe = () => {
      asked += 1;
      return Promise.resolve(answer);
    };
    expect(await lxcfs.serves('h1', probe)).toBe(true);
    expect(await lxcfs.serves('h1', probe)).toBe(true);
    expect(asked).toBe(1);
    expect(await lxcfs.serves('h2', probe)).toBe(true);
    expect(asked).toBe(2);
    now = 60_000;
    answer = false;
    expect(await lxcfs.serves('h1', probe)).toBe(false);
    expect(asked).toBe(3);
    await Promise.resolve();
    expect(logs).toEqual([
      'host h1 serves lxcfs at /var/lib/lxcfs: its nodes report their flavor\'s memory and CPUs',
      'host h2 serves lxcfs at /var/lib/lxcfs: its nodes report their flavor\'s memory and CPUs',
      'host h1 does not serve lxcfs at /var/lib/lxcfs: its nodes report the host\'s memory (install and start lxcfs there: docs/multi-host.md)',
    ]);
  });

  it('asks again at once when told the answer must be fresh, and keeps that answer', async () => {
    const lxcfs = new HostLxcfs(() => undefined, () => 0);
    let answer = true;
    let asked = 0;
    const probe = () => {
      asked += 1;
      return Promise.resolve(answer);
    };
    expect(await lxcfs.serves('h1', probe)).toBe(true);
    answer = false;
    expect(await lxcfs.serves('h1', probe, true)).toBe(false);
    expect(await lxcfs.serves('h1', probe)).toBe(false);
    expect(asked).toBe(2);
  });

  it('answers false when the probe fails, and says why', async () => {
    const logs: string[] = [];
    const lxcfs = new HostLxcfs((l) => logs.push(l));
    expect(await lxcfs.serves('h1', () => Promise.reject(new Error('connect ECONNREFUSED')))).toBe(false);
    expect(logs[0]).toBe('host h1: could not learn whether it serves lxcfs (connect ECONNREFUSED)');
  });
});
