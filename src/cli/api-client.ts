import { ErrorCode } from '../wire/error-codes.js';
import { CREATE_DEFAULTS } from '../wire/limits.js';
import { API_PATHS, routePath } from '../wire/route-paths.js';
import { CliCode, CliError } from './errors.js';
import { followEvents, type FollowEnd, type FollowOptions } from './event-follower.js';
import type { HttpClient } from './http-client.js';
import type { Bundle, Cluster, ClusterEvent, ClusterList, CreateCluster, Flavor, Quotas, RegistryInfo, RepositoryList, Usage } from './types.js';

/** A route of one cluster (its path has `:name`). */
type ClusterRoute = { readonly method: string; readonly path: `/v1/clusters/:name${string}` };

/** The public API, one method per route (the CLI never reaches the store or engine directly). */
export class ApiClient {
  readonly #http: HttpClient;

  constructor(http: HttpClient) {
    this.#http = http;
  }

  /** `POST /v1/clusters`; the fields left undefined are not sent (the server's defaults apply). */
  create(input: CreateCluster): Promise<Cluster> {
    const body: CreateCluster = { name: input.name };
    if (input.nodes !== undefined) body.nodes = input.nodes;
    if (input.autoscale !== undefined) body.autoscale = input.autoscale;
    if (input.flavor !== undefined) body.flavor = input.flavor;
    return this.#http.json<Cluster>(API_PATHS.createCluster.method, routePath(API_PATHS.createCluster), body, { flavor: input.flavor ?? CREATE_DEFAULTS.flavor });
  }

  /** Every cluster of the account, following the list's pages. */
  async list(): Promise<Cluster[]> {
    const all: Cluster[] = [];
    let after: string | null = null;
    do {
      const query: string = after === null ? '' : `?after=${encodeURIComponent(after)}`;
      const page: ClusterList = await this.#http.json<ClusterList>(API_PATHS.listClusters.method, `${routePath(API_PATHS.listClusters)}${query}`);
      all.push(...page.clusters);
      after = page.next ?? null; // a server from before pagination sends no `next`
    } while (after !== null);
    return all;
  }

  get(name: string): Promise<Cluster> {
    return this.#cluster<Cluster>(API_PATHS.getCluster, name);
  }

  /** The cluster, or undefined once it is gone (404 CLUSTER_NOT_FOUND). */
  async find(name: string): Promise<Cluster | undefined> {
    const res = await this.#http.send(API_PATHS.getCluster.method, routePath(API_PATHS.getCluster, { name }));
    if (res.status === 200) return JSON.parse(res.body.toString('utf8')) as Cluster;
    const error = this.#http.error(res, { cluster: name });
    if (error.code === ErrorCode.CLUSTER_NOT_FOUND) return undefined;
    throw error;
  }

  grow(name: string, by: number): Promise<Cluster> {
    return this.#cluster<Cluster>(API_PATHS.growCluster, name, { by });
  }

  /** `PUT /v1/clusters/{name}/nodes {count}`; a server without that route gets a clear message. */
  async resize(name: string, count: number): Promise<Cluster> {
    try {
      return await this.#cluster<Cluster>(API_PATHS.resizeCluster, name, { count });
    } catch (error) {
      const missingRoute = error instanceof CliError && (error.code === ErrorCode.NOT_FOUND || error.code === ErrorCode.METHOD_NOT_ALLOWED);
      if (!missingRoute) throw error;
      throw new CliError(
        CliCode.UNSUPPORTED,
        `this server (${this.#http.endpoint}) does not support resize yet: use "carina grow ${name} --by N" to add nodes`,
      );
    }
  }

  setAutoscale(name: string, enabled: boolean): Promise<Cluster> {
    return this.#cluster<Cluster>(API_PATHS.setAutoscale, name, { enabled });
  }

  rebuild(name: string): Promise<Cluster> {
    return this.#cluster<Cluster>(API_PATHS.rebuildCluster, name);
  }

  delete(name: string): Promise<Cluster> {
    return this.#cluster<Cluster>(API_PATHS.deleteCluster, name);
  }

  /** The credentials zip; `ifNoneMatch` (a serial) lets a server answer 304 when unchanged. */
  async credentials(name: string, ifNoneMatch?: string): Promise<Bundle | 'not-modified'> {
    const extra: Record<string, string> = { accept: 'application/zip' };
    if (ifNoneMatch) extra['if-none-match'] = `"${ifNoneMatch}"`;
    const res = await this.#http.send(API_PATHS.credentials.method, routePath(API_PATHS.credentials, { name }), undefined, extra);
    if (res.status === 304) return 'not-modified';
    if (res.status !== 200) throw this.#http.error(res, { cluster: name });
    const etag = res.headers.get('etag')?.replace(/^W\//, '').replace(/"/g, '') || undefined;
    return { zip: res.body, serial: etag };
  }

  async events(name: string, after?: number): Promise<ClusterEvent[]> {
    const query = after === undefined ? '' : `?after=${after}`;
    return (await this.#cluster<{ events: ClusterEvent[] }>(API_PATHS.events, name, undefined, query)).events;
  }

  /** Follows the cluster's event stream (`Accept: text/event-stream`) until it is gone, aborted, or unavailable (then poll `events`). */
  followEvents(name: string, options: FollowOptions): Promise<FollowEnd> {
    return followEvents(this.#http, routePath(API_PATHS.events, { name }), options);
  }

  usage(name: string): Promise<Usage> {
    return this.#cluster<Usage>(API_PATHS.usage, name);
  }

  quotas(): Promise<Quotas> {
    return this.#http.json<Quotas>(API_PATHS.quotas.method, routePath(API_PATHS.quotas));
  }

  async flavors(): Promise<Flavor[]> {
    return (await this.#http.json<{ flavors: Flavor[] }>(API_PATHS.flavors.method, routePath(API_PATHS.flavors))).flavors;
  }

  /** `GET /v1/registry`; a server from before registries gets a clear message (exit 6). */
  async registry(): Promise<RegistryInfo> {
    try {
      return await this.#http.json<RegistryInfo>(API_PATHS.registry.method, routePath(API_PATHS.registry));
    } catch (error) {
      if (!(error instanceof CliError && error.code === ErrorCode.NOT_FOUND)) throw error;
      throw new CliError(CliCode.UNSUPPORTED, `this server (${this.#http.endpoint}) has no registry API: it is older than the registry feature`);
    }
  }

  /** `GET /v1/registry/repositories`. */
  repositories(): Promise<RepositoryList> {
    return this.#http.json<RepositoryList>(API_PATHS.repositories.method, routePath(API_PATHS.repositories));
  }

  /** `DELETE /v1/registry/repositories/{repository}/tags/{tag}` (the full name URL-encoded: `alice%2Fapp`). */
  async deleteTag(repository: string, tag: string): Promise<void> {
    const res = await this.#http.send(API_PATHS.deleteTag.method, routePath(API_PATHS.deleteTag, { repository, tag }));
    if (res.status < 200 || res.status >= 300) throw this.#http.error(res, { tag: `${repository}:${tag}` });
  }

  /** A request about cluster `name` (`rest` follows its path): its errors name it as the command did. */
  /** A request of one cluster's `route` (a query, if any, appended to its path). */
  #cluster<T>(route: ClusterRoute, name: string, body?: unknown, query = ''): Promise<T> {
    return this.#http.json<T>(route.method, `${routePath(route, { name })}${query}`, body, { cluster: name });
  }
}
