import { describe, expect, it } from 'vitest';
import { DEFAULT_WAIT_TIMEOUT_MS, progressReporter, waitBound } from './command-kit.js';
import type { Io } from './context.js';
import type { Cluster, ClusterStatus } from './types.js';

const cluster = (status: ClusterStatus, ready: number): Cluster => ({
  id: 'i',
  name: 'demo',
  flavor: 'container1-4G',
  nodes: 2,
  nodes_ready: ready,
  autoscale: false,
  status,
  status_reason: null,
  endpoint: '',
  created_at: '',
  updated_at: '',
});

function io(tty: boolean): { io: Io; err: string[] } {
  const err: string[] = [];
  return { err, io: { env: {}, cwd: '/', home: '/', stderrIsTTY: tty, out: () => undefined, err: (s) => void err.push(s) } };
}

describe('wait progress', () => {
  it('without a TTY prints a plain line only when status or Ready count changes', () => {
    const t = io(false);
    const p = progressReporter(t.io, 'demo');
    p.update(cluster('building', 0), 10);
    p.update(cluster('building', 0), 260);
    p.update(cluster('building', 1), 1500);
    p.update(undefined, 2000);
    p.finish();
    expect(t.err).toEqual(['demo: building, 0/2 nodes Ready, 10ms\n', 'demo: building, 1/2 nodes Ready, 1.5s\n', 'demo: deleted, 2.0s\n']);
  });

  it('on a TTY rewrites one live line and ends it once', () => {
    const t = io(true);
    const p = progressReporter(t.io, 'demo');
    p.update(cluster('building', 0), 10);
    p.update(cluster('active', 2), 1200);
    p.finish();
    p.finish();
    expect(t.err.join('')).toBe('\r\x1b[2Kdemo: building, 0/2 nodes Ready, 10ms\r\x1b[2Kdemo: active, 2/2 nodes Ready, 1.2s\n');
  });

  it('bounds --wait by --timeout, 10 minutes by default', () => {
    expect(waitBound({})).toBeUndefined();
    expect(waitBound({ wait: true })).toBe(DEFAULT_WAIT_TIMEOUT_MS);
    expect(waitBound({ wait: true, timeout: '90s' })).toBe(90_000);
    expect(() => waitBound({ timeout: '90s' })).toThrow(/only applies with --wait/);
  });
});
