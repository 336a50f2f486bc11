import { ACTION_TRANSITIONS, CLUSTER_STATUSES, CONVERGING_STATUSES, type ClusterAction } from '../wire/cluster-status.js';
import type { ClusterStatus } from './types.js';

/** Something that moves a cluster between statuses: a client's action (the contract's), or Carina's own. */
export type ClusterTrigger =
  | ClusterAction // grow, shrink, rebuild, delete: what the user asked for
  | 'start' // the reconciler picked up a new cluster
  | 'ready' // the manager reports every wanted node Ready
  | 'repair' // the reconciler found an active cluster drifted (a node died, left the swarm…)
  | 'fail'; // an operation kept failing

/** The result of asking for a transition: a value, never an exception. */
export type TransitionResult =
  | { readonly ok: true; readonly status: ClusterStatus }
  | { readonly ok: false; readonly reason: string };

type Row = Readonly<Partial<Record<ClusterTrigger, ClusterStatus>>>;

/** from → Carina's own trigger → to; the user's actions come from the contract (ACTION_TRANSITIONS). */
const OWN: Readonly<Record<ClusterStatus, Row>> = {
  new: { start: 'building', fail: 'error' },
  building: { ready: 'active', fail: 'error' },
  active: { repair: 'rebuilding', fail: 'error', ready: 'active' },
  growing: { ready: 'active', fail: 'error' },
  shrinking: { ready: 'active', fail: 'error' },
  rebuilding: { ready: 'active', fail: 'error' },
  deleting: { fail: 'error' },
  error: { fail: 'error' },
};

/** from → trigger → to. Anything missing here is refused. */
const TABLE = Object.freeze(
  Object.fromEntries(CLUSTER_STATUSES.map((s) => [s, Object.freeze({ ...ACTION_TRANSITIONS[s], ...OWN[s] })])) as Record<ClusterStatus, Row>,
);

const HINTS: Readonly<Partial<Record<ClusterTrigger, string>>> = Object.freeze({
  grow: 'wait until the cluster is active, or rebuild it if it is in error',
  shrink: 'wait until the cluster is active, or rebuild it if it is in error',
  rebuild: 'rebuild applies to an active cluster or one in error',
  delete: 'the cluster is already being deleted',
});

/** Pure state machine of a cluster's status. */
export function transition(from: ClusterStatus, trigger: ClusterTrigger): TransitionResult {
  const to = TABLE[from][trigger];
  if (to !== undefined) return { ok: true, status: to };
  const hint = HINTS[trigger];
  return { ok: false, reason: `cannot ${trigger} a cluster that is ${from}${hint ? `: ${hint}` : ''}` };
}

/** True while the reconciler has work to do toward the desired state. */
export function isConverging(status: ClusterStatus): boolean {
  return CONVERGING_STATUSES.has(status);
}
