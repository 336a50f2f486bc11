import { elements, fieldValues, isObject, pathValues } from './json-fields.js';
import { PolicyCode, violation, type Violation } from './policy-codes.js';

/** What the gateway found about a network reference on the manager engine (null: no such network). */
export interface ResolvedNetwork {
  readonly name: string;
  readonly driver: string;
}

/** Network modes that name no network object. */
const BUILTIN_MODES = /^(|default|none|container:.*)$/i;

/**
 * Networks a container or service body refers to by name or id. The docker client sends a service's
 * `--network host` as the *id* of the swarm's host network, so names alone are not enough: the gateway
 * resolves each reference on the manager before the policy decides.
 */
export function networkReferences(path: string, body: unknown): string[] {
  const p = path.toLowerCase();
  const refs: unknown[] = [];
  if (p === '/containers/create') {
    for (const hc of [body, ...fieldValues(body, 'hostconfig')]) refs.push(...fieldValues(hc, 'networkmode'));
    for (const endpoints of pathValues(body, 'networkingconfig', 'endpointsconfig')) if (isObject(endpoints)) refs.push(...Object.keys(endpoints));
  } else if (p === '/services/create' || /^\/services\/[^/]+\/update$/.test(p)) {
    const networks = [...elements(pathValues(body, 'tasktemplate', 'networks')), ...elements(fieldValues(body, 'networks'))];
    for (const n of networks) refs.push(...(isObject(n) ? fieldValues(n, 'target') : [n]));
  }
  const names = refs.filter((r): r is string => typeof r === 'string').map((r) => r.trim());
  return [...new Set(names.filter((r) => !BUILTIN_MODES.test(r)))];
}

/** Refuses any resolved network that is the node's host network. */
export function resolvedNetworksRule(networks: Readonly<Record<string, ResolvedNetwork | null>> | undefined): Violation | undefined {
  for (const [ref, net] of Object.entries(networks ?? {})) {
    if (net && (net.driver.toLowerCase() === 'host' || net.name.toLowerCase() === 'host')) {
      return violation(PolicyCode.HOST_NAMESPACE, `network "${ref}" is the host network: not allowed`);
    }
  }
  return undefined;
}
