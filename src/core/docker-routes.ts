/**
 * The engine's router, as far as the policy must agree with it. Docker registers routes with
 * gorilla/mux templates (moby v20.10, api/server/router/*): `{name:.*}` matches any text, slashes
 * included, `{id}` one path segment. A policy that matched `/containers/<one segment>/start` let
 * `POST /containers/parent/alias/start` (a legacy link's name) through unread, while the engine
 * routed it to the same handler.
 */

/** A route: an upper-case method ('*' for any) and a template in the engine's syntax. */
export interface DockerRoute {
  readonly method: string;
  readonly template: string;
}

/** A compiled template: matches a canonical path (case-insensitively) and captures its variables in order. */
export function routePattern(template: string): RegExp {
  const source = template
    .split(/(\{[^}]*\})/)
    .map((part) => {
      if (!part.startsWith('{')) return part.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
      const colon = part.indexOf(':');
      return colon < 0 ? '([^/]+)' : `(${part.slice(colon + 1, -1)})`;
    })
    .join('');
  return new RegExp(`^${source}$`, 'i');
}

/** Whether `route` matches; the captured variables when it does. */
export function matchRoute(pattern: RegExp, method: string, route: DockerRoute, path: string): string[] | undefined {
  if (route.method !== '*' && route.method !== method.toUpperCase()) return undefined;
  const m = pattern.exec(path);
  return m ? m.slice(1) : undefined;
}

const container = (method: string, ...actions: string[]): DockerRoute[] =>
  actions.map((action) => ({ method, template: `/containers/{name:.*}/${action}` }));

/** Every engine route whose first variable is a container or exec reference (moby v20.10 container and checkpoint routers). */
const REFERENCE_ROUTES: readonly DockerRoute[] = [
  ...container('HEAD', 'archive'),
  ...container('GET', 'export', 'changes', 'json', 'top', 'logs', 'stats', 'attach/ws', 'archive', 'checkpoints'),
  ...container('POST', 'kill', 'pause', 'unpause', 'restart', 'start', 'stop', 'wait', 'resize', 'attach', 'copy', 'exec', 'rename', 'update', 'checkpoints'),
  ...container('PUT', 'archive'),
  { method: 'DELETE', template: '/containers/{name:.*}' },
  { method: 'DELETE', template: '/containers/{name}/checkpoints/{checkpoint}' },
  { method: 'GET', template: '/exec/{id:.*}/json' },
  { method: 'POST', template: '/exec/{name:.*}/start' },
  { method: 'POST', template: '/exec/{name:.*}/resize' },
];
const COMPILED = REFERENCE_ROUTES.map((route) => ({ route, pattern: routePattern(route.template) }));

/** What a container name or id looks like (Docker's own name rule, which ids also satisfy). */
const PLAIN_REFERENCE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/**
 * A container or exec reference in `path` that is not a plain name or id, if any: whatever route the
 * engine picks for the path, the reference it would resolve is then one the gateway can name exactly.
 */
export function ambiguousReference(method: string, path: string): string | undefined {
  for (const { route, pattern } of COMPILED) {
    const ref = matchRoute(pattern, method, route, path)?.[0];
    if (ref !== undefined && !PLAIN_REFERENCE.test(ref)) return ref;
  }
  return undefined;
}
