import { describe, expect, it } from 'vitest';
import { describeLease } from './lease-description.js';

describe('carina-server leader', () => {
  const now = new Date('2026-12-02T01:00:00Z');
  const lease = { name: 'control-plane', holder: 'cp1:8080', generation: 1, acquiredAt: new Date('2026-12-02T00:00:00Z'), expiresAt: new Date('2026-12-02T01:00:12Z') };

  it('names the leader, since when, and until when its lease runs', () => {
    expect(describeLease(lease, now)).toBe('cp1:8080 leads since 2026-12-02T00:00:00.000Z (lease renewed until 2026-12-02T01:00:12.000Z, 12 s from now)');
  });

  it('says why nobody leads', () => {
    expect(describeLease(undefined, now)).toMatch(/^no replica leads: none is running, or the last one stopped cleanly/);
    expect(describeLease({ ...lease, expiresAt: new Date('2026-12-02T00:59:50Z') }, now)).toMatch(/^no replica leads: cp1:8080's lease expired 10 s ago/);
  });
});
