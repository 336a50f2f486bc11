import type { LogFields } from '../../core/log.js';
import { Reconciler, type ReconcilerOptions } from '../reconciler.js';
import { FakeEngine } from './fake-engine.js';
import { fakePki, MemoryStore } from './memory-store.js';

/** When the harness's clock starts. */
export const T0 = Date.parse('2026-12-01T10:00:00Z');

/**
 * A Reconciler over a fake engine and an in-memory store, with a clock that only moves when the
 * reconciler sleeps (back-off, polling a wait) or the test advances it: no test waits in real time.
 */
export function reconcilerHarness(options: Partial<ReconcilerOptions> = {}) {
  let now = T0;
  const clock = { now: () => new Date(now) };
  const store = new MemoryStore(clock);
  const engine = new FakeEngine();
  const slept: number[] = [];
  const logs: string[] = [];
  /** Each line with the fields it was logged with. */
  const logged: (LogFields & { line: string })[] = [];
  const issued: string[] = [];
  const reconciler = new Reconciler({
    store,
    engine,
    pki: fakePki(issued),
    clock,
    log: (line, fields) => {
      logs.push(line);
      logged.push({ line, ...fields });
    },
    dnsNames: (c) => [`${c.name}.${c.accountName}.carina.local`],
    ipAddresses: ['127.0.0.1'],
    intervalMs: 3_600_000, // the tests drive tick() themselves
    kickPollMs: 3_600_000,
    maxFailures: 8,
    stallTimeoutMs: 120_000,
    swarmLossGraceMs: 10_000,
    checkLease: () => Promise.resolve(),
    sleep: (ms) => {
      slept.push(ms);
      now += ms;
      return new Promise((resolve) => setImmediate(resolve)); // yield, as a real sleep does
    },
    ...options,
  });
  return {
    store,
    engine,
    reconciler,
    slept,
    logs,
    logged,
    issued,
    /** Moves the clock on by `ms`. */
    advance: (ms: number) => void (now += ms),
    /** The clock's time, in ms. */
    now: () => now,
    /** Kicks the cluster and waits until no worker is busy. */
    async run(clusterId: string): Promise<void> {
      reconciler.kick(clusterId);
      await reconciler.idle();
    },
  };
}
