import { describe, expect, it } from 'vitest';
import { transition, isConverging, type ClusterTrigger } from './cluster-state.js';
import { CLUSTER_STATUSES, type ClusterStatus } from './types.js';

const TRIGGERS: ClusterTrigger[] = ['start', 'ready', 'grow', 'shrink', 'rebuild', 'delete', 'repair', 'fail'];

// The full expected table: every (status, trigger) pair, so a change to the machine must change this test.
const EXPECTED: Record<ClusterStatus, Record<ClusterTrigger, ClusterStatus | null>> = {
  new: { start: 'building', ready: null, grow: 'new', shrink: null, rebuild: null, delete: 'deleting', repair: null, fail: 'error' },
  building: { start: null, ready: 'active', grow: 'building', shrink: null, rebuild: null, delete: 'deleting', repair: null, fail: 'error' },
  active: { start: null, ready: 'active', grow: 'growing', shrink: 'shrinking', rebuild: 'rebuilding', delete: 'deleting', repair: 'rebuilding', fail: 'error' },
  growing: { start: null, ready: 'active', grow: 'growing', shrink: null, rebuild: null, delete: 'deleting', repair: null, fail: 'error' },
  shrinking: { start: null, ready: 'active', grow: null, shrink: 'shrinking', rebuild: null, delete: 'deleting', repair: null, fail: 'error' },
  rebuilding: { start: null, ready: 'active', grow: null, shrink: null, rebuild: null, delete: 'deleting', repair: null, fail: 'error' },
  deleting: { start: null, ready: null, grow: null, shrink: null, rebuild: null, delete: 'deleting', repair: null, fail: 'error' },
  error: { start: null, ready: null, grow: null, shrink: null, rebuild: 'rebuilding', delete: 'deleting', repair: null, fail: 'error' },
};

describe('cluster state machine', () => {
  for (const from of CLUSTER_STATUSES) {
    for (const trigger of TRIGGERS) {
      const to = EXPECTED[from][trigger];
      it(`${from} --${trigger}--> ${to ?? 'refused'}`, () => {
        const result = transition(from, trigger);
        if (to === null) {
          expect(result.ok).toBe(false);
          if (!result.ok) expect(result.reason).toContain(`cannot ${trigger} a cluster that is ${from}`);
        } else {
          expect(result).toEqual({ ok: true, status: to });
        }
      });
    }
  }

  it('an error cluster can always be rebuilt or deleted', () => {
    expect(transition('error', 'rebuild').ok).toBe(true);
    expect(transition('error', 'delete').ok).toBe(true);
  });

  it('knows which statuses still need work', () => {
    expect(CLUSTER_STATUSES.filter(isConverging)).toEqual(['new', 'building', 'growing', 'shrinking', 'rebuilding', 'deleting']);
  });
});
