/**
 * What a registered host's guard installs (docs/multi-host.md, "Isolation on the hosts"): iptables
 * rules, as data, that keep the containers on the host — cluster nodes and, through them, the tenants'
 * containers — away from the hosts themselves and from addresses only overlays carry.
 */

/** What the rules depend on. */
export interface HostGuardFacts {
  /** The address of every registered host: its engine (2376), swarm ports and published node-engine ports. */
  readonly hostAddresses: readonly string[];
  /** Subnets only overlay networks carry (the clusters' node subnets, the hosts' swarm pool): never reached through a bridge. */
  readonly overlaySubnets: readonly string[];
  /** The control plane's machine as the hosts reach it, and the TCP ports any client may use there (ControlPlaneReach). */
  readonly controlPlane?: ControlPlaneReach | undefined;
}

/**
 * The control plane's addresses that containers on the hosts could reach (where tenants and nodes
 * reach the API, the clusters' endpoints and the registry) and the TCP ports open to any client
 * there: a port (`"8080"`) or a range (`"26000:26999"`), as iptables' tcp match takes them.
 */
export interface ControlPlaneReach {
  readonly addresses: readonly string[];
  readonly tcpPorts: readonly string[];
}

/** One rule: the chain it is appended to and the arguments after `-A CHAIN`. */
export interface GuardRule {
  readonly chain: typeof GUARD_CHAINS[keyof typeof GUARD_CHAINS];
  readonly args: readonly string[];
}

/** The guard's own chains and where each is jumped to from (its first rule: nothing the host adds comes first). */
export const GUARD_CHAINS = Object.freeze({ input: 'CARINA-GUARD-IN', forward: 'CARINA-GUARD-FWD' } as const);
export const GUARD_HOOKS: readonly { readonly from: string; readonly to: string }[] = Object.freeze([
  { from: 'INPUT', to: GUARD_CHAINS.input },
  // DOCKER-USER is the one place of FORWARD dockerd leaves to its user (it re-inserts its own jumps above any other).
  { from: 'DOCKER-USER', to: GUARD_CHAINS.forward },
]);

/**
 * The bridges containers leave a host's engine by: docker_gwbridge (every container on an overlay
 * network, hence every node, has its default route there) and docker0 (the default bridge).
 */
export const CONTAINER_BRIDGES: readonly string[] = Object.freeze(['docker_gwbridge', 'docker0']);

/** Link-local addresses: a cloud's metadata service (169.254.169.254) hands out the machine's credentials. */
const LINK_LOCAL = '169.254.0.0/16';

const reject = (protocolTcp: boolean): string[] => (protocolTcp ? ['-p', 'tcp', '-j', 'REJECT', '--reject-with', 'tcp-reset'] : ['-j', 'REJECT']);

/**
 * The guard's rules for these facts, in order. Per container bridge:
 * - INPUT: only answers to the host's own connections (docker-proxy reaching a node's engine for the
 *   control plane) and DNS come back in; anything else a container opens to the host itself — its
 *   engine, the swarm ports, the node engines' published ports (served by docker-proxy on the host),
 *   sshd — is refused;
 * - FORWARD: answers pass; a new connection to any registered host's address (by its original
 *   destination, so a port DNATed to a container is refused too), to an overlay-only subnet or to a
 *   link-local address is refused; to the control plane's addresses only its public TCP ports (API,
 *   cluster endpoints, registry) pass, as for any client, and the rest is refused. The rest — the
 *   world outside — is forwarded as before.
 * The hosts' own traffic (their swarm, the VXLAN that carries the clusters' overlays and the nodes'
 * swarms inside them) leaves and enters by the hosts' own interfaces and is not touched.
 */
export function hostGuardRules(facts: HostGuardFacts): GuardRule[] {
  const { input, forward } = GUARD_CHAINS;
  const rules: GuardRule[] = [];
  for (const bridge of CONTAINER_BRIDGES) {
    const from = ['-i', bridge];
    rules.push({ chain: input, args: [...from, '-m', 'conntrack', '--ctstate', 'ESTABLISHED,RELATED', '-j', 'RETURN'] });
    for (const protocol of ['udp', 'tcp']) rules.push({ chain: input, args: [...from, '-p', protocol, '--dport', '53', '-j', 'RETURN'] });
    rules.push({ chain: input, args: [...from, ...reject(true)] }, { chain: input, args: [...from, ...reject(false)] });
  }
  for (const bridge of CONTAINER_BRIDGES) {
    const from = ['-i', bridge];
    rules.push({ chain: forward, args: [...from, '-m', 'conntrack', '--ctstate', 'ESTABLISHED,RELATED', '-j', 'RETURN'] });
    for (const address of [...new Set(facts.hostAddresses)].sort()) {
      for (const tcp of [true, false]) rules.push({ chain: forward, args: [...from, '-m', 'conntrack', '--ctorigdst', address, ...reject(tcp)] });
    }
    for (const subnet of [...new Set([...facts.overlaySubnets, LINK_LOCAL])]) {
      for (const tcp of [true, false]) rules.push({ chain: forward, args: [...from, '-d', subnet, ...reject(tcp)] });
    }
    const cp = facts.controlPlane;
    for (const address of [...new Set(cp?.addresses ?? [])].sort()) {
      for (const port of new Set(cp?.tcpPorts ?? [])) rules.push({ chain: forward, args: [...from, '-d', address, '-p', 'tcp', '--dport', port, '-j', 'RETURN'] });
      for (const tcp of [true, false]) rules.push({ chain: forward, args: [...from, '-d', address, ...reject(tcp)] });
    }
  }
  return rules;
}
