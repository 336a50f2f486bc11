import { Type, type Static } from '@sinclair/typebox';
import { CLUSTER_NAME } from './cluster-name.js';
import { CLUSTER_STATUSES, NODE_ROLES } from './cluster-status.js';
import { CREATE_DEFAULTS, FLAVOR_NAME_MAX_LENGTH, NODES, PAGE_LIMIT } from './limits.js';
import { Nullable, StringEnum } from './schema-kit.js';

/** One node of a cluster (`GET /v1/clusters/{name}` `node_details`). */
export const ClusterNode = Type.Object({
  index: Type.Integer(),
  role: StringEnum(NODE_ROLES),
  status: Type.String(),
  address: Nullable(Type.String({ description: "The node's address in the cluster's own network" })),
});
/** One node of a cluster. */
export type ClusterNode = Static<typeof ClusterNode>;

/** A cluster (`GET /v1/clusters/{name}` adds `node_details`). */
export const Cluster = Type.Object({
  id: Type.String(),
  name: Type.String(),
  flavor: Type.String(),
  nodes: Type.Integer({ description: 'Desired number of nodes' }),
  nodes_ready: Nullable(Type.Integer({ description: 'Nodes the swarm manager reports Ready' })),
  autoscale: Type.Boolean(),
  status: StringEnum(CLUSTER_STATUSES),
  status_reason: Nullable(Type.String({ description: 'Why the cluster is in error, and what to do' })),
  endpoint: Type.String({ description: 'DOCKER_HOST of the cluster' }),
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
  node_details: Type.Optional(Type.Array(ClusterNode)),
});
/** A cluster. */
export type Cluster = Static<typeof Cluster>;

/** A page of `GET /v1/clusters`: pass `next` as `?after=` for the following page (null on the last). */
export const ClusterList = Type.Object({
  clusters: Type.Array(Cluster),
  next: Nullable(Type.String({ description: 'cursor of the next page' })),
});
/** A page of the cluster list. */
export type ClusterList = Static<typeof ClusterList>;

/** The `{name}` of every `/v1/clusters/{name}…` route. */
export const ClusterNameParams = Type.Object({ name: Type.String({ minLength: 1, maxLength: CLUSTER_NAME.maxLength }) });
/** The path parameters of a cluster's routes. */
export type ClusterNameParams = Static<typeof ClusterNameParams>;

/** `GET /v1/clusters?limit=N&after=NAME`; query strings are text (no coercion), the core parses `limit`. */
export const ListClustersQuery = Type.Object(
  {
    limit: Type.Optional(Type.String({ maxLength: 8, description: `clusters per page, 1 to ${PAGE_LIMIT.max} (default ${PAGE_LIMIT.default})` })),
    after: Type.Optional(Type.String({ minLength: 1, maxLength: CLUSTER_NAME.maxLength, description: 'the `next` of the previous page' })),
  },
  { additionalProperties: false },
);
/** The query of the cluster list. */
export type ListClustersQuery = Static<typeof ListClustersQuery>;

// The name's rule is checked by the core, whose message says what to fix; the schema only bounds it.
/** `POST /v1/clusters`: what a create asks for; the fields left out get CREATE_DEFAULTS. */
export const CreateCluster = Type.Object(
  {
    name: Type.String({ maxLength: CLUSTER_NAME.maxLength, description: `${CLUSTER_NAME.pattern}, unique per account` }),
    nodes: Type.Optional(Type.Integer({ minimum: NODES.min, maximum: NODES.max, default: CREATE_DEFAULTS.nodes })),
    autoscale: Type.Optional(Type.Boolean({ default: CREATE_DEFAULTS.autoscale })),
    flavor: Type.Optional(Type.String({ maxLength: FLAVOR_NAME_MAX_LENGTH, default: CREATE_DEFAULTS.flavor })),
  },
  { additionalProperties: false },
);
/** What a create asks for. */
export type CreateCluster = Static<typeof CreateCluster>;

/** `POST /v1/clusters/{name}/grow`. */
export const GrowCluster = Type.Object({ by: Type.Integer({ minimum: NODES.min, maximum: NODES.max }) }, { additionalProperties: false });
/** How many nodes a grow adds. */
export type GrowCluster = Static<typeof GrowCluster>;

/** `PUT /v1/clusters/{name}/nodes`. */
export const ResizeCluster = Type.Object({ count: Type.Integer({ minimum: NODES.min, maximum: NODES.max }) }, { additionalProperties: false });
/** The node count a resize asks for. */
export type ResizeCluster = Static<typeof ResizeCluster>;

/** `PUT /v1/clusters/{name}/autoscale`. */
export const SetAutoscale = Type.Object({ enabled: Type.Boolean() }, { additionalProperties: false });
/** Autoscale on or off. */
export type SetAutoscale = Static<typeof SetAutoscale>;
