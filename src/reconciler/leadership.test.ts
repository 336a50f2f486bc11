import { beforeEach, describe, expect, it } from 'vitest';
import type { Lease, LeaseRepository } from '../core/ports.js';
import { CONTROL_PLANE_LEASE, Leadership } from './leadership.js';

/** The LeaseRepository's contract (the store's real one is held to it in store-logs.contract.test.ts). */
function memoryLeases(nowMs: () => number): LeaseRepository {
  const rows = new Map<string, Lease>();
  return {
    acquire(name, holder, now, ttlMs) {
      const row = rows.get(name);
      if (!row || row.holder === holder || row.expiresAt <= now) {
        const renewal = row?.holder === holder && row.expiresAt > now;
        const generation = renewal ? row.generation : (row?.generation ?? 0) + 1;
        rows.set(name, { name, holder, generation, acquiredAt: renewal ? row.acquiredAt : now, expiresAt: new Date(now.getTime() + ttlMs) });
      }
      const held = rows.get(name);
      return Promise.resolve(held?.holder === holder ? held : undefined);
    },
    holds(fence) {
      const row = rows.get(fence.lease);
      return Promise.resolve(row?.holder === fence.holder && row.generation === fence.generation && row.expiresAt.getTime() > nowMs());
    },
    release(name, holder) {
      const row = rows.get(name);
      if (row?.holder === holder) rows.set(name, { ...row, holder: '', expiresAt: new Date(0) });
      return Promise.resolve();
    },
    get: (name) => Promise.resolve(rows.get(name)?.holder ? rows.get(name) : undefined),
  };
}

const TTL = 15_000;

describe('Leadership (the control-plane lease)', () => {
  let store: { leases: LeaseRepository };
  let now = Date.parse('2026-12-01T10:00:00Z');
  const clock = { now: () => new Date(now) };
  const lines: string[] = [];

  beforeEach(() => {
    store = { leases: memoryLeases(() => now) };
  });

  function replica(holder: string, leases = store.leases, options: { suspends?: boolean } = {}) {
    const calls: string[] = [];
    const leadership = new Leadership({
      leases,
      holder,
      ttlMs: TTL,
      clock,
      log: (line) => lines.push(line),
      onElected: () => Promise.resolve(void calls.push('elected')),
      onDeposed: () => Promise.resolve(void calls.push('deposed')),
      ...(options.suspends && {
        onSuspended: () => Promise.resolve(void calls.push('suspended')),
        onResumed: () => Promise.resolve(void calls.push('resumed')),
      }),
      renewEveryMs: 3_600_000, // the tests drive check() themselves
    });
    return { leadership, calls };
  }

  /** Lease calls that fail while `outage.on` (the store does not answer). */
  function flaky() {
    const outage = { on: false };
    const leases = {
      ...store.leases,
      acquire: (...args: Parameters<LeaseRepository['acquire']>) => (outage.on ? Promise.reject(new Error('connection refused')) : store.leases.acquire(...args)),
    };
    return { outage, leases };
  }

  it('a sole replica leads as soon as it starts, and keeps the lease while it renews', async () => {
    const a = replica('a');
    await a.leadership.start();
    expect(a.leadership.role).toBe('leader');
    now += TTL - 1;
    await a.leadership.check();
    now += TTL - 1;
    await a.leadership.check();
    expect(a.calls).toEqual(['elected']);
    expect(await store.leases.get(CONTROL_PLANE_LEASE)).toMatchObject({ holder: 'a', expiresAt: new Date(now + TTL) });
    await a.leadership.stop();
  });

  it('a standby takes over only once the leader has stopped renewing for the whole lease, and the old leader then stands by', async () => {
    const a = replica('a');
    const b = replica('b');
    await a.leadership.start();
    await b.leadership.start();
    expect([a.leadership.role, b.leadership.role]).toEqual(['leader', 'standby']);
    now += TTL - 1; // a is stalled, its lease not yet over
    await b.leadership.check();
    expect(b.leadership.role).toBe('standby');
    now += 1;
    await b.leadership.check();
    expect(b.leadership.role).toBe('leader');
    expect(b.calls).toEqual(['elected']);
    await a.leadership.check(); // a wakes up: b holds the lease now
    expect(a.leadership.role).toBe('standby');
    expect(a.calls).toEqual(['elected', 'deposed']);
    expect(lines.at(-1)).toMatch(/a stands by: another replica holds the lease/);
    await a.leadership.stop();
    await b.leadership.stop();
  });

  it('a clean stop gives the lease up, so a standby takes over at its next check without waiting', async () => {
    const a = replica('a');
    const b = replica('b');
    await a.leadership.start();
    await b.leadership.start();
    await a.leadership.stop();
    expect(a.calls).toEqual(['elected', 'deposed']);
    await b.leadership.check();
    expect(b.leadership.role).toBe('leader');
    await b.leadership.stop();
  });

  it('a replica restarted after a crash takes its own unexpired lease back at once', async () => {
    const before = replica('a');
    await before.leadership.start(); // then "kill -9": no stop, the lease stays
    const after = replica('a');
    await after.leadership.start();
    expect(after.leadership.role).toBe('leader');
    const other = replica('b');
    await other.leadership.start();
    expect(other.leadership.role).toBe('standby');
    await after.leadership.stop();
    await other.leadership.stop();
  });

  it('a leader that cannot reach the store stops leading after two thirds of the lease, before anyone could take it', async () => {
    let failing = false;
    const leases = {
      ...store.leases,
      acquire: (...args: Parameters<LeaseRepository['acquire']>) => (failing ? Promise.reject(new Error('connection refused')) : store.leases.acquire(...args)),
    };
    const a = replica('a', leases);
    await a.leadership.start();
    failing = true;
    now += TTL / 3;
    await a.leadership.check();
    expect(a.leadership.role).toBe('leader');
    now += TTL / 3;
    await a.leadership.check();
    expect(a.leadership.role).toBe('standby');
    expect(a.calls).toEqual(['elected', 'deposed']);
    expect(lines.at(-1)).toMatch(/could not be renewed for 10\.0 s \(connection refused\)/);
    failing = false;
    await a.leadership.check();
    expect(a.leadership.role).toBe('leader');
    await a.leadership.stop();
  });

  it('with onSuspended, a leader that cannot reach the store suspends at two thirds of the lease (still leader: gateways stay) and resumes when its lease is still its own', async () => {
    const { outage, leases } = flaky();
    const a = replica('a', leases, { suspends: true });
    await a.leadership.start();
    outage.on = true;
    now += TTL / 3;
    await a.leadership.check();
    expect(a.calls).toEqual(['elected']);
    now += TTL / 3;
    await a.leadership.check();
    now += TTL; // a long outage: suspended once, not again and again
    await a.leadership.check();
    expect(a.leadership.role).toBe('leader');
    expect(a.calls).toEqual(['elected', 'suspended']);
    expect(lines.at(-1)).toMatch(/suspends reconciling: the lease could not be renewed for 10\.0 s .*gateways keep serving/);
    outage.on = false;
    await a.leadership.check(); // the lease expired meanwhile, but nobody took it
    expect(a.calls).toEqual(['elected', 'suspended', 'resumed']);
    expect(a.leadership.role).toBe('leader');
    await a.leadership.stop();
  });

  it('a suspended leader whose lease another replica took meanwhile stands down when the store answers again', async () => {
    const { outage, leases } = flaky();
    const a = replica('a', leases, { suspends: true });
    const b = replica('b');
    await a.leadership.start();
    await b.leadership.start();
    outage.on = true; // only a's view of the store is gone
    now += TTL;
    await a.leadership.check();
    await b.leadership.check();
    expect(b.leadership.role).toBe('leader');
    outage.on = false;
    await a.leadership.check();
    expect(a.leadership.role).toBe('standby');
    expect(a.calls).toEqual(['elected', 'suspended', 'deposed']);
    await a.leadership.stop();
    await b.leadership.stop();
  });

  it('fences its tenure: stillLeads turns false at two thirds of the lease without renewal, and a leader resumed after its lease lapsed starts a new tenure', async () => {
    const a = replica('a');
    await a.leadership.start();
    expect(a.leadership.fence).toEqual({ lease: CONTROL_PLANE_LEASE, holder: 'a', generation: 1 });
    now += (TTL * 2) / 3 - 1;
    expect(a.leadership.stillLeads(clock.now())).toBe(true);
    now += 1; // paused: no renewal for two thirds of the lease
    expect(a.leadership.stillLeads(clock.now())).toBe(false);
    expect(a.leadership.fence).toBeUndefined();
    now += TTL; // long enough for anyone to have taken the lease; nobody did
    await a.leadership.check();
    expect(a.calls).toEqual(['elected', 'deposed', 'elected']); // what ran under generation 1 was stopped first
    expect(a.leadership.fence).toEqual({ lease: CONTROL_PLANE_LEASE, holder: 'a', generation: 2 });
    expect(lines.some((l) => /generation 1 → 2\): what it started under the old one is fenced off/.test(l))).toBe(true);
    const b = replica('b');
    now += TTL;
    await b.leadership.start(); // a paused again; b takes over
    await a.leadership.check();
    expect([a.leadership.role, a.leadership.fence, b.leadership.fence?.generation]).toEqual(['standby', undefined, 3]);
    await a.leadership.stop();
    await b.leadership.stop();
  });
});
