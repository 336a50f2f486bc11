/**
 * The public API's routes by name, method and path only: what the CLI and the portal name a request
 * by (routePath), without the schemas of routes.ts (the portal's bundle carries no TypeBox). ROUTES
 * takes its methods and paths from here; the names are the same.
 */
export const API_PATHS = Object.freeze({
  signIn: { method: 'POST', path: '/v1/session' },
  whoAmI: { method: 'GET', path: '/v1/session' },
  signOut: { method: 'DELETE', path: '/v1/session' },
  createCluster: { method: 'POST', path: '/v1/clusters' },
  listClusters: { method: 'GET', path: '/v1/clusters' },
  getCluster: { method: 'GET', path: '/v1/clusters/:name' },
  growCluster: { method: 'POST', path: '/v1/clusters/:name/grow' },
  resizeCluster: { method: 'PUT', path: '/v1/clusters/:name/nodes' },
  rebuildCluster: { method: 'POST', path: '/v1/clusters/:name/rebuild' },
  setAutoscale: { method: 'PUT', path: '/v1/clusters/:name/autoscale' },
  deleteCluster: { method: 'DELETE', path: '/v1/clusters/:name' },
  credentials: { method: 'GET', path: '/v1/clusters/:name/credentials' },
  rotateCredentials: { method: 'POST', path: '/v1/clusters/:name/credentials/rotate' },
  audit: { method: 'GET', path: '/v1/clusters/:name/audit' },
  events: { method: 'GET', path: '/v1/clusters/:name/events' },
  accountEvents: { method: 'GET', path: '/v1/events' },
  usage: { method: 'GET', path: '/v1/clusters/:name/usage' },
  registry: { method: 'GET', path: '/v1/registry' },
  repositories: { method: 'GET', path: '/v1/registry/repositories' },
  deleteTag: { method: 'DELETE', path: '/v1/registry/repositories/:repository/tags/:tag' },
  quotas: { method: 'GET', path: '/v1/quotas' },
  flavors: { method: 'GET', path: '/v1/flavors' },
} as const);

/** The parameter names of a route path (`/v1/clusters/:name/grow` → `'name'`). */
type ParamsOf<P extends string> = P extends `${string}:${infer K}/${infer Rest}` ? K | ParamsOf<`/${Rest}`> : P extends `${string}:${infer K}` ? K : never;

/**
 * A route's URL path with its parameters filled in, each URL-encoded as one path segment (a
 * repository's full name `alice/app` → `alice%2Fapp`): how the CLI and the portal name a route,
 * instead of writing its path again.
 */
export function routePath<P extends string>(route: { readonly path: P }, ...params: [ParamsOf<P>] extends [never] ? [] : [Readonly<Record<ParamsOf<P>, string>>]): string {
  const values: Readonly<Record<string, string>> = params[0] ?? {};
  return route.path.replace(/:([A-Za-z]+)/g, (_, key: string) => {
    const value = values[key];
    if (value === undefined) throw new Error(`no value for :${key} of ${route.path}`);
    return encodeURIComponent(value);
  });
}
