import { describe, expect, it } from 'vitest';
import { ConnectionBudget, ReportThrottle, clientKey } from './connection-budget.js';

describe('clientKey', () => {
  it.each([
    ['192.0.2.7', '192.0.2.7'],
    ['::ffff:192.0.2.7', '192.0.2.7'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:DB8:1:2::9', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
  ])('counts %s as %s', (address, key) => {
    expect(clientKey(address)).toBe(key);
  });

  it('counts every address of one /64 as one client', () => {
    expect(clientKey('2001:db8:1:2:aaaa::1')).toBe(clientKey('2001:db8:1:2:bbbb::2'));
  });
});

describe('ConnectionBudget', () => {
  it('admits up to the per-client cap, then refuses that client but not another', () => {
    const budget = new ConnectionBudget({ perClient: 2, total: 0 });
    expect([budget.admit('a'), budget.admit('a'), budget.admit('a'), budget.admit('b')]).toEqual(['admitted', 'admitted', 'client-full', 'admitted']);
    expect(budget.open).toBe(3);
  });

  it('refuses everyone at the total cap, and admits again once a connection closed', () => {
    const budget = new ConnectionBudget({ perClient: 5, total: 2 });
    expect([budget.admit('a'), budget.admit('b'), budget.admit('c')]).toEqual(['admitted', 'admitted', 'total-full']);
    budget.release('a');
    expect(budget.admit('c')).toBe('admitted');
  });

  it('treats 0 as no cap, and ignores releases of what it never counted', () => {
    const budget = new ConnectionBudget({ perClient: 0, total: 0 });
    for (let i = 0; i < 1000; i++) expect(budget.admit('a')).toBe('admitted');
    budget.release('never');
    expect(budget.open).toBe(1000);
  });
});

describe('ReportThrottle', () => {
  it('reports the first event at once, then at most once per interval with the count held back', () => {
    let now = 0;
    const throttle = new ReportThrottle(60_000, () => now);
    const reported: number[] = [];
    for (const t of [0, 1, 2, 59_999, 60_000, 60_001, 200_000]) {
      now = t;
      reported.push(throttle.record());
    }
    expect(reported).toEqual([1, 0, 0, 0, 4, 0, 2]);
  });
});
