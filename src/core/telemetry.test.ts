import { describe, expect, it } from 'vitest';
import { finishedOperation, gatewayOutcome, statusClass } from './telemetry.js';
import type { ClusterStatus } from './types.js';

const created = new Date('2026-12-01T10:00:00Z');
const changed = new Date('2026-12-01T10:00:30Z');
const now = new Date('2026-12-01T10:01:00Z');

describe('finishedOperation: what a cluster finished and how long it took', () => {
  // from → operation, seconds: a create from the record's creation, the rest from its last change.
  const CASES: readonly (readonly [ClusterStatus, string | undefined, number | undefined])[] = [
    ['building', 'create', 60],
    ['growing', 'grow', 30],
    ['shrinking', 'shrink', 30],
    ['rebuilding', 'repair', 30],
    ['deleting', 'delete', 30],
    ['active', undefined, undefined],
    ['new', undefined, undefined],
    ['error', undefined, undefined],
  ];
  it.each(CASES)('from %s: %s in %s s', (from, operation, seconds) => {
    const done = finishedOperation({ createdAt: created, updatedAt: changed }, from, now);
    expect(done?.operation).toBe(operation);
    expect(done?.seconds).toBe(seconds);
  });

  it('never reports a negative duration (clocks of replicas a little apart)', () => {
    expect(finishedOperation({ createdAt: now, updatedAt: now }, 'growing', changed)?.seconds).toBe(0);
  });
});

describe('gatewayOutcome and statusClass', () => {
  it('names how a gateway request ended', () => {
    expect(gatewayOutcome(null)).toBe('forwarded');
    expect(gatewayOutcome('CARINA-1001')).toBe('denied');
    expect(gatewayOutcome('CARINA-1093')).toBe('engine_unreachable');
  });

  it('groups statuses by class', () => {
    expect([101, 200, 204, 302, 404, 503].map(statusClass)).toEqual(['1xx', '2xx', '2xx', '3xx', '4xx', '5xx']);
  });
});
