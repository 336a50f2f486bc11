import { describe, expect, it } from 'vitest';
import type { Store } from '../core/ports.js';
import { AuditRetention } from './audit-retention.js';

const NOW = Date.parse('2030-06-01T00:00:00.000Z');

function setup(days: number, prune: (cutoff: Date) => Promise<number>) {
  const cutoffs: Date[] = [];
  const logs: string[] = [];
  const store = {
    audit: {
      pruneBefore: (cutoff: Date) => {
        cutoffs.push(cutoff);
        return prune(cutoff);
      },
    },
  } as unknown as Store;
  const retention = new AuditRetention({ store, clock: { now: () => new Date(NOW) }, log: (l) => logs.push(l), days });
  return { retention, cutoffs, logs };
}

describe('audit retention', () => {
  it('deletes entries older than the retention, and says how many', async () => {
    const { retention, cutoffs, logs } = setup(90, () => Promise.resolve(7));
    expect(await retention.prune()).toBe(7);
    expect(cutoffs).toEqual([new Date('2030-03-03T00:00:00.000Z')]);
    expect(logs).toEqual(['audit: deleted 7 entries older than 90 days']);
  });

  it('keeps everything when the retention is 0 days', async () => {
    const { retention, cutoffs } = setup(0, () => Promise.resolve(1));
    retention.start();
    expect(await retention.prune()).toBe(0);
    await retention.stop();
    expect(cutoffs).toEqual([]);
  });

  it('logs a failed prune and tries again next time', async () => {
    let fail = true;
    const { retention, logs } = setup(1, () => (fail ? Promise.reject(new Error('database is locked')) : Promise.resolve(2)));
    expect(await retention.prune()).toBe(0);
    expect(logs[0]).toMatch(/pruning failed \(will retry\): database is locked/);
    fail = false;
    expect(await retention.prune()).toBe(2);
  });

  it('runs one prune at a time', async () => {
    let release: (n: number) => void = () => undefined;
    const { retention, cutoffs } = setup(1, () => new Promise<number>((resolve) => (release = resolve)));
    const first = retention.prune();
    expect(await Promise.race([retention.prune(), new Promise((r) => setTimeout(() => r('pending'), 10))])).toBe(0);
    release(3);
    expect(await first).toBe(3);
    expect(cutoffs).toHaveLength(1);
  });
});
