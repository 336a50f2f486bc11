import { Type, type TSchema } from '@sinclair/typebox';
import { FlavorList, Quotas, Session, SignIn } from './account-schemas.js';
import { AccountEventList, AuditList, AuditQuery, EventList, EventStreamHeaders, EventsQuery, RotatedCredentials, Usage } from './cluster-record-schemas.js';
import { EVENT_STREAM_TYPE } from './event-stream.js';
import { Cluster, ClusterList, ClusterNameParams, CreateCluster, GrowCluster, ListClustersQuery, ResizeCluster, SetAutoscale } from './cluster-schemas.js';
import { RegistryInfo, RegistryTagParams, RepositoryList } from './registry-schemas.js';
import { ErrorBody } from './schema-kit.js';
import { API_PATHS } from './route-paths.js';

/** One route of the public API: what Fastify validates and serialises with, and what OpenAPI documents. */
export interface RouteContract {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Fastify's spelling (`:name`); OpenAPI shows `{name}`. */
  readonly path: string;
  /** With `Accept: text/event-stream` the 200 is a stream of server-sent events instead: what its messages carry. */
  readonly eventStream?: string;
  /** The 200 is a file of this media type, not JSON: what it holds (OpenAPI shows it; nothing serialises it). */
  readonly file?: { readonly mediaType: string; readonly description: string };
  readonly schema: {
    readonly summary: string;
    readonly description?: string;
    /** `[]`: no credentials needed (the portal's session routes). */
    readonly security?: readonly never[];
    readonly params?: TSchema;
    readonly querystring?: TSchema;
    readonly headers?: TSchema;
    readonly body?: TSchema;
    /** Status → body; a status missing here is sent unchecked (the credentials zip, 413, 429, 5xx). */
    readonly response: Readonly<Record<number, TSchema>>;
  };
}

const failures = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody } as const;
const params = ClusterNameParams;

/** Every route of the public API, by name. */
export const ROUTES = Object.freeze({
  signIn: {
    ...API_PATHS.signIn,
    schema: {
      summary: 'Sign in to the portal: exchanges username + API key for an HttpOnly session cookie',
      security: [],
      body: SignIn,
      response: { 200: Session, 400: ErrorBody, 401: ErrorBody },
    },
  },
  whoAmI: {
    ...API_PATHS.whoAmI,
    schema: { summary: 'Who is signed in to the portal (by session cookie)', security: [], response: { 200: Session, 401: ErrorBody } },
  },
  signOut: {
    ...API_PATHS.signOut,
    schema: { summary: 'Sign out of the portal (needs X-CSRF-Token when the session is live)', security: [], response: { 204: Type.Null(), 403: ErrorBody } },
  },
  createCluster: {
    ...API_PATHS.createCluster,
    schema: { summary: 'Create a cluster', body: CreateCluster, response: { 202: Cluster, ...failures } },
  },
  listClusters: {
    ...API_PATHS.listClusters,
    schema: {
      summary: 'List your clusters, by name, a page at a time',
      description: 'Pass the `next` of a page as `after` to get the following one; `next` is null on the last page.',
      querystring: ListClustersQuery,
      response: { 200: ClusterList, ...failures },
    },
  },
  getCluster: { ...API_PATHS.getCluster, schema: { summary: 'Get a cluster with its nodes', params, response: { 200: Cluster, ...failures } } },
  growCluster: {
    ...API_PATHS.growCluster,
    schema: { summary: 'Add nodes to a cluster', params, body: GrowCluster, response: { 202: Cluster, ...failures } },
  },
  resizeCluster: {
    ...API_PATHS.resizeCluster,
    schema: {
      summary: 'Set the number of nodes (fewer: drains and removes the highest-numbered workers; never the manager)',
      params,
      body: ResizeCluster,
      response: { 202: Cluster, ...failures },
    },
  },
  rebuildCluster: {
    ...API_PATHS.rebuildCluster,
    schema: { summary: 'Re-create the management plane of a cluster', params, response: { 202: Cluster, ...failures } },
  },
  setAutoscale: {
    ...API_PATHS.setAutoscale,
    schema: { summary: 'Turn autoscale on or off', params, body: SetAutoscale, response: { 200: Cluster, ...failures } },
  },
  deleteCluster: {
    ...API_PATHS.deleteCluster,
    schema: { summary: 'Delete a cluster and everything in it', params, response: { 202: Cluster, ...failures } },
  },
  credentials: {
    ...API_PATHS.credentials,
    file: { mediaType: 'application/zip', description: 'ca.pem, cert.pem, key.pem and scripts that set DOCKER_HOST, DOCKER_TLS_VERIFY and DOCKER_CERT_PATH (docker.env, docker.fish, docker.ps1, docker.cmd)' },
    schema: { summary: 'Download the credentials bundle (zip: ca.pem, cert.pem, key.pem, docker.env, …)', params, response: failures },
  },
  rotateCredentials: {
    ...API_PATHS.rotateCredentials,
    schema: {
      summary: 'Issue a new client certificate; the previous one is refused at once (download a new bundle)',
      params,
      response: { 200: RotatedCredentials, ...failures },
    },
  },
  audit: {
    ...API_PATHS.audit,
    schema: {
      summary: "The cluster's Docker API audit log (mutating and refused requests; no bodies, secrets redacted)",
      params,
      querystring: AuditQuery,
      response: { 200: AuditList, ...failures },
    },
  },
  events: {
    ...API_PATHS.events,
    eventStream:
      'each message is one event (`id:` its id, `data:` the JSON of an entry of `events`); a last message `event: gone` when the cluster is deleted ends the stream',
    schema: {
      summary: "A cluster's event log",
      description: `With \`Accept: ${EVENT_STREAM_TYPE}\`: the log, then every new event as it happens, as server-sent events (heartbeat comments keep idle streams open); reconnect with \`Last-Event-ID\` to get exactly the events after it.`,
      params,
      querystring: EventsQuery,
      headers: EventStreamHeaders,
      response: { 200: EventList, ...failures },
    },
  },
  accountEvents: {
    ...API_PATHS.accountEvents,
    eventStream: 'each message is one event of one of your clusters (`id:` its id, `data:` the JSON of an entry of `events`, with its `cluster`)',
    schema: {
      summary: 'The event log of all your clusters, at most 1000 events after `after`',
      description: `With \`Accept: ${EVENT_STREAM_TYPE}\`: the log, then every new event of any of your clusters as it happens, as server-sent events (heartbeat comments keep idle streams open); reconnect with \`Last-Event-ID\` to get exactly the events after it.`,
      querystring: EventsQuery,
      headers: EventStreamHeaders,
      response: { 200: AccountEventList, ...failures },
    },
  },
  usage: {
    ...API_PATHS.usage,
    schema: {
      summary: 'Reserved and used CPU and memory per node and in total (what the autoscaler looks at)',
      params,
      response: { 200: Usage, ...failures },
    },
  },
  quotas: { ...API_PATHS.quotas, schema: { summary: "Your account's quotas and usage", response: { 200: Quotas, ...failures } } },
  flavors: { ...API_PATHS.flavors, schema: { summary: 'Node flavors', response: { 200: FlavorList } } },
  registry: {
    ...API_PATHS.registry,
    schema: {
      summary: "Your private registry: its address, your namespace, your storage quota and usage, and the CA its certificate comes from",
      response: { 200: RegistryInfo, ...failures },
    },
  },
  repositories: {
    ...API_PATHS.repositories,
    schema: { summary: 'The repositories of your namespace, their tags and sizes', response: { 200: RepositoryList, ...failures } },
  },
  deleteTag: {
    ...API_PATHS.deleteTag,
    schema: {
      summary: 'Delete a tag (its blobs are reclaimed by the next garbage collection unless another tag uses them)',
      description: 'The repository is its full name, URL-encoded: `alice%2Fapp`.',
      params: RegistryTagParams,
      response: { 204: Type.Null(), ...failures },
    },
  },
} as const satisfies Record<string, RouteContract>);

/** The name of a route in ROUTES. */
export type RouteName = keyof typeof ROUTES;
