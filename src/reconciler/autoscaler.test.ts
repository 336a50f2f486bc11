import { describe, expect, it } from 'vitest';
import type { ClusterUsage } from '../core/autoscale.js';
import type { Store } from '../core/ports.js';
import { RecordingTelemetry } from '../core/test-support/recording-telemetry.js';
import type { Cluster } from '../core/types.js';
import { Autoscaler } from './autoscaler.js';

const T0 = Date.parse('2026-12-01T10:00:00Z');

/** One autoscaled cluster in a store that only grows it, an account whose quota is 2 nodes per cluster. */
function harness() {
  let now = T0;
  let cluster: Cluster = { id: 'k1', accountId: 'a1', accountName: 'alice', name: 'web', flavor: 'container1-4G', nodeCount: 1, autoscale: true, status: 'active', statusReason: null, port: 23760, failures: 0, createdAt: new Date(T0), updatedAt: new Date(T0) };
  let reserved = 2e9; // the node's whole CPU (2 vCPUs) is reserved
  const store = {
    clusters: {
      listAutoscaled: () => Promise.resolve([cluster]),
      grow: (_id: string, by: number) => {
        cluster = { ...cluster, nodeCount: cluster.nodeCount + by, status: 'growing', updatedAt: new Date(now) };
        return Promise.resolve({ ok: true, cluster, from: 'active' });
      },
    },
    events: { append: () => Promise.resolve() },
    accounts: { findById: () => Promise.resolve({ id: 'a1', quotaNodes: 2 }) },
  } as unknown as Pick<Store, 'clusters' | 'events' | 'accounts'>;
  const usageOf = (): Promise<ClusterUsage> =>
    Promise.resolve({ nodes: Array.from({ length: cluster.nodeCount }, (_, index) => ({ index, reservedNanoCpus: reserved, reservedMemoryBytes: 0, usedNanoCpus: null, usedMemoryBytes: null, containers: 1, tasks: 1 })) });
  const telemetry = new RecordingTelemetry();
  const autoscaler = new Autoscaler({ store, scheduler: { kick: () => undefined }, usageOf, clock: { now: () => new Date(now) }, log: () => undefined, intervalMs: 15_000, cooldownMs: 60_000, telemetry });
  return {
    autoscaler,
    telemetry,
    advance: (ms: number) => void (now += ms),
    /** The grown node is Ready: the cluster is active again, now. */
    activate: () => void (cluster = { ...cluster, status: 'active', updatedAt: new Date(now) }),
    idle: () => void (reserved = 0),
  };
}

describe('Autoscaler telemetry', () => {
  it('counts each decision on an active cluster: grow, cooldown after it, quota, none; nothing while it grows', async () => {
    const h = harness();
    await h.autoscaler.tick(); // full: grows 1 → 2
    await h.autoscaler.tick(); // growing: not asked
    h.activate();
    await h.autoscaler.tick(); // within the cooldown
    h.advance(60_000);
    await h.autoscaler.tick(); // full again, but 2 is the quota
    h.idle();
    await h.autoscaler.tick();
    expect(h.telemetry.lines).toEqual(['autoscale grow', 'autoscale cooldown', 'autoscale quota', 'autoscale none']);
  });
});

describe('Autoscaler passes', () => {
  it('a pass whose store fails is logged, and the next pass runs (the process does not end)', async () => {
    const logged: string[] = [];
    let calls = 0;
    const store = {
      clusters: {
        listAutoscaled: () => {
          calls += 1;
          return Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:5432'));
        },
      },
    } as unknown as Pick<Store, 'clusters' | 'events' | 'accounts'>;
    const autoscaler = new Autoscaler({ store, scheduler: { kick: () => undefined }, usageOf: () => Promise.resolve({ nodes: [] }), clock: { now: () => new Date(T0) }, log: (line) => logged.push(line), intervalMs: 5, cooldownMs: 60_000 });
    autoscaler.start();
    for (let i = 0; i < 200 && calls < 2; i++) await new Promise((r) => setTimeout(r, 5));
    await autoscaler.stop();
    expect(calls).toBeGreaterThanOrEqual(2);
    expect(logged[0]).toBe('autoscaler: pass failed: connect ECONNREFUSED 127.0.0.1:5432');
  });
});
