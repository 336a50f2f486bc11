import { CliCode, CliError } from './errors.js';
import type { HttpClient } from './http-client.js';
import type { Bundle, Cluster, ClusterEvent, ClusterList, Flavor, Quotas, Usage } from './types.js';

const clusterPath = (name: string) => `/v1/clusters/${encodeURIComponent(name)}`;

/** What `carina create` sends. */
export interface CreateInput {
  readonly name: string;
  readonly nodes?: number | undefined;
  readonly autoscale?: boolean | undefined;
  readonly flavor?: string | undefined;
}

/** The public API, one method per route (the CLI never reaches the store or engine directly). */
export class ApiClient {
  readonly #http: HttpClient;

  constructor(http: HttpClient) {
    this.#http = http;
  }

  create(input: CreateInput): Promise<Cluster> {
    const body: Record<string, unknown> = { name: input.name };
    if (input.nodes !== undefined) body.nodes = input.nodes;
    if (input.autoscale !== undefined) body.autoscale = input.autoscale;
    if (input.flavor !== undefined) body.flavor = input.flavor;
    return this.#http.json<Cluster>('POST', '/v1/clusters', body);
  }

  /** Every cluster of the account, following the list's pages. */
  async list(): Promise<Cluster[]> {
    const all: Cluster[] = [];
    let after: string | null = null;
    do {
      const query: string = after === null ? '' : `?after=${encodeURIComponent(after)}`;
      const page: ClusterList = await this.#http.json<ClusterList>('GET', `/v1/clusters${query}`);
      all.push(...page.clusters);
      after = page.next ?? null; // a server from before pagination sends no `next`
    } while (after !== null);
    return all;
  }

  get(name: string): Promise<Cluster> {
    return this.#http.json<Cluster>('GET', clusterPath(name));
  }

  /** The cluster, or undefined once it is gone (404 CLUSTER_NOT_FOUND). */
  async find(name: string): Promise<Cluster | undefined> {
    const res = await this.#http.send('GET', clusterPath(name));
    if (res.status === 200) return JSON.parse(res.body.toString('utf8')) as Cluster;
    const error = this.#http.error(res);
    if (error.code === 'CARINA_ERR_CLUSTER_NOT_FOUND') return undefined;
    throw error;
  }

  grow(name: string, by: number): Promise<Cluster> {
    return this.#http.json<Cluster>('POST', `${clusterPath(name)}/grow`, { by });
  }

  /** `PUT /v1/clusters/{name}/nodes {count}`; a server without that route gets a clear message. */
  async resize(name: string, count: number): Promise<Cluster> {
    try {
      return await this.#http.json<Cluster>('PUT', `${clusterPath(name)}/nodes`, { count });
    } catch (error) {
      const missingRoute = error instanceof CliError && (error.code === 'CARINA_ERR_NOT_FOUND' || error.code === 'CARINA_ERR_METHOD_NOT_ALLOWED');
      if (!missingRoute) throw error;
      throw new CliError(
        CliCode.UNSUPPORTED,
        `this server (${this.#http.endpoint}) does not support resize yet: use "carina grow ${name} --by N" to add nodes`,
      );
    }
  }

  setAutoscale(name: string, enabled: boolean): Promise<Cluster> {
    return this.#http.json<Cluster>('PUT', `${clusterPath(name)}/autoscale`, { enabled });
  }

  rebuild(name: string): Promise<Cluster> {
    return this.#http.json<Cluster>('POST', `${clusterPath(name)}/rebuild`);
  }

  delete(name: string): Promise<Cluster> {
    return this.#http.json<Cluster>('DELETE', clusterPath(name));
  }

  /** The credentials zip; `ifNoneMatch` (a serial) lets a server answer 304 when unchanged. */
  async credentials(name: string, ifNoneMatch?: string): Promise<Bundle | 'not-modified'> {
    const extra: Record<string, string> = { accept: 'application/zip' };
    if (ifNoneMatch) extra['if-none-match'] = `"${ifNoneMatch}"`;
    const res = await this.#http.send('GET', `${clusterPath(name)}/credentials`, undefined, extra);
    if (res.status === 304) return 'not-modified';
    if (res.status !== 200) throw this.#http.error(res);
    const etag = res.headers.get('etag')?.replace(/^W\//, '').replace(/"/g, '') || undefined;
    return { zip: res.body, serial: etag };
  }

  async events(name: string, after?: number): Promise<ClusterEvent[]> {
    const query = after === undefined ? '' : `?after=${after}`;
    return (await this.#http.json<{ events: ClusterEvent[] }>('GET', `${clusterPath(name)}/events${query}`)).events;
  }

  usage(name: string): Promise<Usage> {
    return this.#http.json<Usage>('GET', `${clusterPath(name)}/usage`);
  }

  quotas(): Promise<Quotas> {
    return this.#http.json<Quotas>('GET', '/v1/quotas');
  }

  async flavors(): Promise<Flavor[]> {
    return (await this.#http.json<{ flavors: Flavor[] }>('GET', '/v1/flavors')).flavors;
  }
}
