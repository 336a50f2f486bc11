/** Where a remote node's engine was last found: its host, that host's address and the published port. */
export interface RemoteAt {
  readonly host: string;
  readonly address: string;
  readonly port: number;
}

/**
 * What the engine remembers of where clusters' nodes answer (issue 13): each remote node's host and
 * published engine port as last found, which clusters are placed on hosts (their manager has no unix
 * socket here), and through which node each cluster's swarm was last managed. Memory only: anything
 * forgotten is looked up again from the store and the hosts.
 */
export class NodeWhereabouts {
  readonly #remote = new Map<string, RemoteAt>();
  readonly #placed = new Set<string>();
  readonly #managerAt = new Map<string, number>();

  /** Node `index` of a placed cluster answers at `at`. */
  found(clusterId: string, index: number, at: RemoteAt): void {
    this.#remote.set(key(clusterId, index), at);
    this.#placed.add(clusterId);
  }

  at(clusterId: string, index: number): RemoteAt | undefined {
    return this.#remote.get(key(clusterId, index));
  }

  /** The cluster runs on registered hosts (true) or on the local engine (false). */
  setPlaced(clusterId: string, placed: boolean): void {
    if (placed) this.#placed.add(clusterId);
    else this.#placed.delete(clusterId);
  }

  isPlaced(clusterId: string): boolean {
    return this.#placed.has(clusterId);
  }

  /** The node through which the cluster's swarm is managed: as last observed, else node 0. */
  manager(clusterId: string): number {
    return this.#managerAt.get(clusterId) ?? 0;
  }

  /** Whether a manager other than node 0's default was ever recorded for the cluster. */
  knownManager(clusterId: string): number | undefined {
    return this.#managerAt.get(clusterId);
  }

  setManager(clusterId: string, index: number): void {
    this.#managerAt.set(clusterId, index);
  }

  /** Forgets one node (it may answer elsewhere after a start), or all of a cluster. */
  forget(clusterId: string, index?: number): void {
    if (index !== undefined) {
      this.#remote.delete(key(clusterId, index));
      return;
    }
    for (const k of this.#remote.keys()) if (k.startsWith(`${clusterId}/`)) this.#remote.delete(k);
    this.#placed.delete(clusterId);
    this.#managerAt.delete(clusterId);
  }

  /** Forgets every node found on host `name`, but those in `keep` (`clusterId/index`). */
  forgetHost(name: string, keep: ReadonlySet<string> = new Set()): void {
    for (const [k, at] of this.#remote) if (at.host === name && !keep.has(k)) this.#remote.delete(k);
  }
}

/** The key of node `index` of a cluster (also what `forgetHost` keeps). */
export function nodeKey(clusterId: string, index: number): string {
  return key(clusterId, index);
}

const key = (clusterId: string, index: number) => `${clusterId}/${index}`;
