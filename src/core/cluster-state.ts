import type { ClusterStatus } from './types.js';

/** Something that moves a cluster between statuses. */
export type ClusterTrigger =
  | 'start' // the reconciler picked up a new cluster
  | 'ready' // the manager reports every wanted node Ready
  | 'grow' // the user asked for more nodes
  | 'shrink' // the user asked for fewer nodes (drain, then remove workers)
  | 'rebuild' // the user asked to re-create the management plane
  | 'delete' // the user asked to delete
  | 'repair' // the reconciler found an active cluster drifted (a node died, left the swarm…)
  | 'fail'; // an operation kept failing

/** The result of asking for a transition: a value, never an exception. */
export type TransitionResult =
  | { readonly ok: true; readonly status: ClusterStatus }
  | { readonly ok: false; readonly reason: string };

/** from → trigger → to. Anything missing here is refused. */
const TABLE: Readonly<Record<ClusterStatus, Partial<Record<ClusterTrigger, ClusterStatus>>>> = Object.freeze({
  new: { start: 'building', grow: 'new', delete: 'deleting', fail: 'error' },
  building: { ready: 'active', grow: 'building', delete: 'deleting', fail: 'error' },
  active: { grow: 'growing', shrink: 'shrinking', rebuild: 'rebuilding', repair: 'rebuilding', delete: 'deleting', fail: 'error', ready: 'active' },
  growing: { ready: 'active', grow: 'growing', delete: 'deleting', fail: 'error' },
  shrinking: { ready: 'active', shrink: 'shrinking', delete: 'deleting', fail: 'error' },
  rebuilding: { ready: 'active', delete: 'deleting', fail: 'error' },
  deleting: { delete: 'deleting', fail: 'error' },
  error: { rebuild: 'rebuilding', delete: 'deleting', fail: 'error' },
});

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
  return status === 'new' || status === 'building' || status === 'growing' || status === 'shrinking' || status === 'rebuilding' || status === 'deleting';
}
