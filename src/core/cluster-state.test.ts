import { describe, expect, it } from 'vitest';
import { transition, isConverging, type ClusterTrigger } from './cluster-state.js';
import { CLUSTER_STATUSES, type ClusterStatus } from './types.js';

const TRIGGERS: ClusterTrigger[] = ['start', 'ready', 'grow', 'rebuild', 'delete', 'fail'];

// The full expected table: every (status, trigger) pair, so a change to the machine must change this test.
const EXPECTED: Record<ClusterStatus, Record<ClusterTrigger, ClusterStatus | null>> = {
  new: { start: 'building', ready: null, grow: 'new', rebuild: null, delete: 'deleting', fail: 'error' },
  building: { start: null, ready: 'active', grow: 'building', rebuild: null, delete: 'deleting', fail: 'error' },
  active: { start: null, ready: 'active', grow: 'growing', rebuild: 'rebuilding', delete: 'deleting', fail: 'error' },
  growing: { start: null, ready: 'active', grow: 'growing', rebuild: null, delete: 'deleting', fail: 'error' },
  rebuilding: { start: null, ready: 'active', grow: null, rebuild: null, delete: 'deleting', fail: 'error' },
  deleting: { start: null, ready: null, grow: null, rebuild: null, delete: 'deleting', fail: 'error' },
  error: { start: null, ready: null, grow: null, rebuild: 'rebuilding', delete: 'deleting', fail: 'error' },
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
    expect(CLUSTER_STATUSES.filter(isConverging)).toEqual(['new', 'building', 'growing', 'rebuilding', 'deleting']);
  });
});
