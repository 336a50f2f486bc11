/** Lifecycle of a cluster. `status_reason` is set whenever the status is `error`. */
export const CLUSTER_STATUSES = ['new', 'building', 'active', 'growing', 'shrinking', 'rebuilding', 'deleting', 'error'] as const;
/** One of CLUSTER_STATUSES. */
export type ClusterStatus = (typeof CLUSTER_STATUSES)[number];

/** Statuses in which Carina is still working toward what was asked (a client keeps polling). */
export const CONVERGING_STATUSES: ReadonlySet<ClusterStatus> = new Set<ClusterStatus>(['new', 'building', 'growing', 'shrinking', 'rebuilding', 'deleting']);

/** Roles of a cluster's nodes: node 0 manages the swarm, the others are workers. */
export const NODE_ROLES = ['manager', 'worker'] as const;
/** One of NODE_ROLES. */
export type NodeRole = (typeof NODE_ROLES)[number];

/** What a client may ask that changes a cluster's status (resize is `grow` or `shrink`, by the count). */
export const CLUSTER_ACTIONS = ['grow', 'shrink', 'rebuild', 'delete'] as const;
/** One of CLUSTER_ACTIONS. */
export type ClusterAction = (typeof CLUSTER_ACTIONS)[number];

/**
 * status → action → the status it leads to. An action missing here is refused with
 * `CARINA_ERR_INVALID_STATE`; the core's state machine adds the transitions only Carina makes.
 */
export const ACTION_TRANSITIONS: Readonly<Record<ClusterStatus, Readonly<Partial<Record<ClusterAction, ClusterStatus>>>>> = Object.freeze({
  new: Object.freeze({ grow: 'new', delete: 'deleting' }),
  building: Object.freeze({ grow: 'building', delete: 'deleting' }),
  active: Object.freeze({ grow: 'growing', shrink: 'shrinking', rebuild: 'rebuilding', delete: 'deleting' }),
  growing: Object.freeze({ grow: 'growing', delete: 'deleting' }),
  shrinking: Object.freeze({ shrink: 'shrinking', delete: 'deleting' }),
  rebuilding: Object.freeze({ delete: 'deleting' }),
  deleting: Object.freeze({ delete: 'deleting' }),
  error: Object.freeze({ rebuild: 'rebuilding', delete: 'deleting' }),
} as const);

/** Whether a cluster in `status` accepts `action`. */
export function allows(status: ClusterStatus, action: ClusterAction): boolean {
  return ACTION_TRANSITIONS[status][action] !== undefined;
}
