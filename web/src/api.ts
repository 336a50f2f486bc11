import type { Cluster, ClusterList, Session } from './types';
import { API_PATHS, routePath } from '../../src/wire/route-paths';

/** A failed API call: the HTTP status (0: the server could not be reached), the stable code and the server's message. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

export const NETWORK_ERROR = 'NETWORK';

/** The calls the portal makes; every one goes to the public API under /v1 with the session cookie. */
export interface Api {
  readonly get: <T>(path: string) => Promise<T>;
  readonly send: <T>(method: 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown) => Promise<T>;
  readonly download: (path: string) => Promise<Blob>;
  readonly signIn: (username: string, apikey: string) => Promise<Session>;
  readonly whoAmI: () => Promise<Session>;
  readonly signOut: () => Promise<void>;
}

export interface ApiOptions {
  /** The CSRF token of the session, sent with every write. */
  readonly csrfToken: () => string | undefined;
  /** Called when a call answers 401 (the session ended). */
  readonly onUnauthorized: (error: ApiError) => void;
  readonly fetch?: typeof fetch;
  /** Pauses before each retry of a read that could not reach the server (default 300 ms, then 1 s). */
  readonly readRetryDelaysMs?: readonly number[];
}

const READ_RETRY_DELAYS_MS = [300, 1000] as const;

async function errorOf(res: Response): Promise<ApiError> {
  try {
    const body = (await res.json()) as { error?: { code?: string; message?: string } };
    if (body.error?.code) return new ApiError(res.status, body.error.code, body.error.message ?? res.statusText);
  } catch {
    /* not the API's JSON error */
  }
  return new ApiError(res.status, `HTTP_${res.status}`, `the server answered ${res.status} ${res.statusText}`.trim());
}

/** An Api over fetch. */
export function createApi(options: ApiOptions): Api {
  const doFetch = options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));

  const readRetryDelays = options.readRetryDelaysMs ?? READ_RETRY_DELAYS_MS;

  // A read that fails to reach the server is tried again a moment later: a browser drops requests in
  // flight when the machine's network changes (Chrome's net::ERR_NETWORK_CHANGED — Wi-Fi, VPN, or a
  // Docker engine adding interfaces). Writes are not repeated: the first may have arrived.
  const fetchRetrying = async (path: string, init: RequestInit & { method: string }): Promise<Response> => {
    const delays = init.method === 'GET' ? readRetryDelays : [];
    for (let attempt = 0; ; attempt++) {
      try {
        return await doFetch(path, init);
      } catch {
        const delay = delays[attempt];
        if (delay === undefined) throw new ApiError(0, NETWORK_ERROR, 'cannot reach the Carina server: check your connection and that carina-server is running, then retry');
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  };

  const call = async (method: string, path: string, body: unknown, quietAuth: boolean): Promise<Response> => {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const csrf = options.csrfToken();
    if (method !== 'GET' && csrf) headers['x-csrf-token'] = csrf;
    const res = await fetchRetrying(path, { method, headers, credentials: 'same-origin', body: body === undefined ? null : JSON.stringify(body) });
    if (res.ok) return res;
    const error = await errorOf(res);
    if (res.status === 401 && !quietAuth) options.onUnauthorized(error);
    throw error;
  };
  const json = async <T>(res: Response): Promise<T> => (res.status === 204 ? (undefined as T) : ((await res.json()) as T));

  return {
    get: async (path) => json(await call('GET', path, undefined, false)),
    send: async (method, path, body) => json(await call(method, path, body, false)),
    download: async (path) => (await call('GET', path, undefined, false)).blob(),
    signIn: async (username, apikey) => json(await call(API_PATHS.signIn.method, routePath(API_PATHS.signIn), { username, apikey }, true)),
    whoAmI: async () => json(await call(API_PATHS.whoAmI.method, routePath(API_PATHS.whoAmI), undefined, true)),
    signOut: async () => {
      await call(API_PATHS.signOut.method, routePath(API_PATHS.signOut), undefined, true);
    },
  };
}

/** Every cluster of the account, following the pages of `GET /v1/clusters`. */
export async function listClusters(api: Pick<Api, 'get'>): Promise<Cluster[]> {
  const all: Cluster[] = [];
  let after: string | null = null;
  do {
    const list = routePath(API_PATHS.listClusters);
    const page: ClusterList = await api.get<ClusterList>(after === null ? list : `${list}?after=${encodeURIComponent(after)}`);
    all.push(...page.clusters);
    after = page.next ?? null;
  } while (after !== null);
  return all;
}

export { API_PATHS, routePath } from '../../src/wire/route-paths';
