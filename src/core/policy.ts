import { ambiguousReference, matchRoute, routePattern, type DockerRoute } from './docker-routes.js';
import { fieldValues, lowerString } from './json-fields.js';
import { PolicyCode, violation, type Violation } from './policy-codes.js';
import { containerCreateRule, execCreateRule, hostConfigRule, volumeCreateRule, type Rule } from './policy-rules.js';
import { resolvedNetworksRule, type ResolvedNetwork } from './policy-networks.js';
import { serviceSpecRule } from './policy-service-rules.js';

export { PolicyCode, violationStatus, type Violation } from './policy-codes.js';
export { networkReferences, type ResolvedNetwork } from './policy-networks.js';

/** What the policy sees of one Docker API request. */
export interface PolicyRequest {
  readonly method: string;
  /** The decoded, cleaned path without the `/v1.xx` prefix (see `canonicalPath`). */
  readonly path: string;
  /** Query parameters, decoded, in order (duplicates kept). */
  readonly query: ReadonlyArray<readonly [string, string]>;
  readonly contentType?: string | undefined;
  /** The parsed JSON body, for the endpoints `policyNeeds` says carry configuration. */
  readonly body?: unknown;
  /** The current role of the node a `POST /nodes/{id}/update` addresses (looked up by the gateway). */
  readonly nodeRole?: string | undefined;
  /** What each of `networkReferences(path, body)` resolved to on the manager (looked up by the gateway). */
  readonly networks?: Readonly<Record<string, ResolvedNetwork | null>> | undefined;
}

/** The verdict: allowed, or the violation to answer with (HTTP 403). */
export type PolicyDecision = { readonly allowed: true } | { readonly allowed: false; readonly violation: Violation };

/** What the gateway must gather before `evaluatePolicy`: the body, and the role of a node. */
export interface PolicyNeeds {
  readonly body: boolean;
  /** The node id (or name) whose current role the policy needs. */
  readonly nodeRoleOf?: string;
}

type Check = (request: PolicyRequest) => Violation | undefined;

interface Route extends DockerRoute {
  readonly check: Check;
  readonly body?: true;
  /** The route's first variable is a node whose current role the policy needs. */
  readonly nodeRole?: true;
}

const deny = (code: PolicyCode, message: string): Check => () => violation(code, message);
const onBody = (rule: Rule): Check => (request) => rule(request.body);
const withNetworks = (rule: Rule): Check => (request) => rule(request.body) ?? resolvedNetworksRule(request.networks);
const FORM_TYPES = /^\s*(application\/x-www-form-urlencoded|multipart\/form-data)/i;

const buildCheck: Check = (request) => {
  // The engine reads build options with FormValue, which also parses form bodies: refuse those outright.
  if (FORM_TYPES.test(request.contentType ?? '')) return violation(PolicyCode.HOST_NAMESPACE, 'build options in a form body are not allowed: send them in the query');
  const values = (name: string) => request.query.filter(([k]) => k.toLowerCase() === name).map(([, v]) => v.trim().toLowerCase());
  if (values('networkmode').includes('host')) return violation(PolicyCode.HOST_NAMESPACE, 'builds on the host network are not allowed');
  if (values('cgroupparent').some((v) => v !== '')) return violation(PolicyCode.CGROUP_PARENT, 'a cgroup parent is not allowed');
  return undefined;
};

const nodeUpdateCheck: Check = (request) => {
  const current = lowerString(request.nodeRole);
  const changed = fieldValues(request.body, 'role').map(lowerString).some((r) => r !== undefined && r !== '' && r !== current);
  return changed ? violation(PolicyCode.INFRASTRUCTURE, "changing a node's role (promote/demote) is not allowed: the platform manages the swarm's managers") : undefined;
};

const SWARM = deny(PolicyCode.INFRASTRUCTURE, 'swarm init, join, leave and update are not allowed: the platform manages the swarm');
const PLUGIN_INSTALL = deny(PolicyCode.PLUGINS, 'installing plugins is not allowed');
const PLUGIN_CHANGE = deny(PolicyCode.PLUGINS, 'upgrading or configuring plugins is not allowed');
const BUILDKIT = deny(PolicyCode.BUILDKIT, 'BuildKit sessions are not allowed: build with the classic builder (DOCKER_BUILDKIT=0)');

/** The table, in the engine's own route templates: every endpoint the policy restricts. Anything else is allowed. */
const ROUTES: readonly Route[] = [
  { method: 'POST', template: '/containers/create', check: withNetworks(containerCreateRule), body: true },
  // API < 1.24 still applies a host config sent to start.
  { method: 'POST', template: '/containers/{name:.*}/start', check: onBody(hostConfigRule), body: true },
  { method: 'POST', template: '/containers/{name:.*}/update', check: onBody(hostConfigRule), body: true },
  { method: 'POST', template: '/containers/{name:.*}/exec', check: onBody(execCreateRule), body: true },
  { method: 'POST', template: '/services/create', check: withNetworks(serviceSpecRule), body: true },
  { method: 'POST', template: '/services/{id}/update', check: withNetworks(serviceSpecRule), body: true },
  { method: 'POST', template: '/volumes/create', check: onBody(volumeCreateRule), body: true },
  { method: 'POST', template: '/nodes/{id}/update', check: nodeUpdateCheck, body: true, nodeRole: true },
  { method: 'DELETE', template: '/nodes/{id}', check: deny(PolicyCode.INFRASTRUCTURE, 'removing a node is not allowed: the platform manages the nodes (shrink or rebuild the cluster instead)') },
  ...['init', 'join', 'leave', 'update'].map((verb) => ({ method: '*', template: `/swarm/${verb}`, check: SWARM })),
  { method: '*', template: '/plugins/pull', check: PLUGIN_INSTALL },
  { method: '*', template: '/plugins/create', check: PLUGIN_INSTALL },
  { method: '*', template: '/plugins/{name:.*}/upgrade', check: PLUGIN_CHANGE },
  { method: '*', template: '/plugins/{name:.*}/set', check: PLUGIN_CHANGE },
  { method: 'POST', template: '/build', check: buildCheck },
  { method: '*', template: '/session', check: BUILDKIT },
  { method: '*', template: '/grpc', check: BUILDKIT },
];
const COMPILED = ROUTES.map((route) => ({ route, pattern: routePattern(route.template) }));

/** The restricting route of a request and its variables (in the engine's matching: case aside, which only widens it). */
function routeOf(method: string, path: string): { route: Route; vars: string[] } | undefined {
  for (const { route, pattern } of COMPILED) {
    const vars = matchRoute(pattern, method, route, path);
    if (vars) return { route, vars };
  }
  return undefined;
}

/**
 * The path the engine routes on: percent-decoded (Go decodes before routing), `.`/`..` and repeated
 * slashes resolved, no trailing slash, without the `/v1.xx` prefix. Undefined when it cannot be decoded.
 */
export function canonicalPath(rawPath: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    return undefined;
  }
  const segments: string[] = [];
  for (const segment of decoded.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  if (/^v[0-9.]+$/.test(segments[0] ?? '')) segments.shift();
  return `/${segments.join('/')}`;
}

/** What the gateway must read or look up before it can decide on this request. */
export function policyNeeds(method: string, path: string): PolicyNeeds {
  const found = routeOf(method, path);
  if (!found || ambiguousReference(method, path) !== undefined) return { body: false };
  const nodeId = found.route.nodeRole ? found.vars[0] : undefined;
  return { body: found.route.body === true, ...(nodeId !== undefined && { nodeRoleOf: nodeId }) };
}

/** The policy: pure and table-driven. Requests it does not restrict are allowed. */
export function evaluatePolicy(request: PolicyRequest): PolicyDecision {
  const ref = ambiguousReference(request.method, request.path);
  const found = ref !== undefined
    ? violation(PolicyCode.AMBIGUOUS_REFERENCE, `the container or exec reference ${JSON.stringify(ref)} is not a plain name or id: use the container's own name or id`)
    : routeOf(request.method, request.path)?.route.check(request);
  return found ? { allowed: false, violation: found } : { allowed: true };
}

/** The text the docker client shows after "Error response from daemon: ". */
export function violationMessage(v: Violation): string {
  return `${v.code}: ${v.message}`;
}
