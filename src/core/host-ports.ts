import type { HostState } from './placement.js';

// The ports of the multi-host work (issue 13): the registered Docker hosts, where each node is placed,
// and what the host monitor does to the hosts' engines. Re-exported by ports.ts with the others.

/** A Docker host of the pool nodes are placed on (issue 13, docs/multi-host.md). */
export interface Host {
  readonly name: string;
  /** Where its engine answers, e.g. `tcp://10.0.0.5:2376`. */
  readonly dockerHost: string;
  /** The directory of `ca.pem`, `cert.pem` and `key.pem` for mutual TLS with its engine. */
  readonly tlsDir: string;
  readonly state: HostState;
  readonly allocatableNanoCpus: number;
  readonly allocatableMemoryBytes: number;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  /** When its engine last answered; null if it never has. */
  readonly lastSeenAt: Date | null;
}

/** A host to add; `ready` unless a state is given. */
export type NewHost = Pick<Host, 'name' | 'dockerHost' | 'tlsDir' | 'allocatableNanoCpus' | 'allocatableMemoryBytes'> & { readonly state?: HostState };

/** The host one node of a cluster runs on. */
export interface NodePlacement {
  readonly clusterId: string;
  readonly index: number;
  readonly host: string;
  /**
   * A node placed beyond its cluster's count while nodes move off a draining host: it joins first, so
   * the cluster keeps its count of working nodes throughout, and leaves once they moved (HostMonitor).
   */
  readonly standIn?: boolean;
}

/** Docker hosts and which host each node runs on; a node with no placement runs on the local engine. */
export interface HostRepository {
  /** Adds a host; refused when the name is taken. */
  add(host: NewHost): Promise<{ readonly ok: true; readonly host: Host } | { readonly ok: false; readonly reason: 'exists' }>;
  get(name: string): Promise<Host | undefined>;
  /** Every host, by name. */
  list(): Promise<Host[]>;
  /** Sets a host's state (drain, down, ready again); undefined when there is no such host. */
  setState(name: string, state: HostState): Promise<Host | undefined>;
  /** Records that the host's engine answered now. */
  markSeen(name: string): Promise<void>;
  /** Removes a host that holds no node; refused (with how many it holds) otherwise. */
  remove(name: string): Promise<{ readonly ok: true } | { readonly ok: false; readonly reason: 'not-found' } | { readonly ok: false; readonly reason: 'holds-nodes'; readonly nodes: number }>;
  /**
   * Records the hosts of nodes of one cluster, all or none, replacing what those nodes had. Refused
   * when the cluster is gone or a host is missing or not `ready` (drained since placement chose it).
   */
  place(clusterId: string, placements: readonly { readonly index: number; readonly host: string; readonly standIn?: boolean }[]): Promise<{ readonly ok: true } | { readonly ok: false; readonly reason: string }>;
  /** The stand-in `index` is no longer wanted: its row stays (the node still runs) until it is removed and unplaced. */
  releaseStandIn(clusterId: string, index: number): Promise<void>;
  /** Forgets the hosts of these nodes (removed, or moved to the local engine). */
  unplace(clusterId: string, indexes: readonly number[]): Promise<void>;
  /** A cluster's placed nodes, by index. */
  placementsOf(clusterId: string): Promise<NodePlacement[]>;
  /**
   * Every placed node with its cluster's flavor name (what each host has reserved, for placement) and
   * node count (a node at or past it is surplus, or a stand-in).
   */
  placedNodes(): Promise<(NodePlacement & { readonly flavor: string; readonly nodeCount: number })[]>;
}

/** The registered hosts' engines, as the host monitor needs them (issue 13). */
export interface HostEngines {
  /** Whether the host's engine answers now (within a few seconds). */
  answers(name: string): Promise<boolean>;
  /** Takes a host that stopped answering out of the hosts' swarm, so its nodes' overlay addresses are free for their replacements. */
  retire(name: string): Promise<void>;
  /** Promotes worker hosts into the hosts' swarm's manager seats a retired host left, once each is ready for it (else nothing). */
  fillManagerSeats(): Promise<void>;
  /**
   * A host declared down answers again: removes every node container and volume of this control
   * plane on it but those of `keep` (nodes still placed there: they could not move), since their
   * replacements run elsewhere and must not meet them, and joins it to the hosts' swarm afresh.
   */
  readmit(name: string, keep: readonly { readonly clusterId: string; readonly index: number }[]): Promise<void>;
  /** Removes from a host every node container and volume of this control plane but those of `keep` (the nodes placed there). */
  clear(name: string, keep: readonly { readonly clusterId: string; readonly index: number }[]): Promise<void>;
  /**
   * One step of taking a node off its (draining) host gently: drained in its cluster's swarm, then,
   * once its tasks have moved, out of the swarm. `done` when it may be placed elsewhere (its
   * container is removed by `clear` once it is).
   */
  evacuate(clusterId: string, index: number): Promise<'done' | 'waiting'>;
  /** Whether node `index` runs on the host it is placed on and is a Ready swarm member open to tasks (a stand-in, or a node that moved). */
  joined(clusterId: string, index: number): Promise<boolean>;
}
