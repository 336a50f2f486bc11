/**
 * Nodes one request may ask for: a create's `nodes`, a resize's `count`, a grow's `by`. The server's
 * hard limit, whatever the quota; an account's quota (`GET /v1/quotas` `max_nodes_per_cluster`) may be
 * lower, and bounds the cluster's total.
 */
export const NODES = Object.freeze({ min: 1, max: 50 });

/** Clusters one page of `GET /v1/clusters` holds: at most, and unless `limit` says. */
export const PAGE_LIMIT = Object.freeze({ max: 500, default: 100 });

/** The longest flavor name a create request may carry. */
export const FLAVOR_NAME_MAX_LENGTH = 64;

/** What a create request gets for a field it leaves out. */
export const CREATE_DEFAULTS = Object.freeze({ nodes: 1, autoscale: false, flavor: 'container1-4G' });
