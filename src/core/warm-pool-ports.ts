import type { Flavor } from './flavors.js';

// The ports of the warm pool (issue 16, docs/warm-pool.md): the shells in the store and what the
// engine builds of one. Re-exported by ports.ts with the others.

/** A cluster built ahead of any request (issue 16, docs/warm-pool.md): its id and port are a future cluster's. */
export interface WarmShell {
  readonly id: string;
  readonly flavor: string;
  readonly nodeCount: number;
  readonly port: number;
  /** Its nodes are up with their engines answering: a create may take it. */
  readonly ready: boolean;
  readonly createdAt: Date;
}

/** The warm shells. A create takes one through `ClusterRepository.createWithinQuota` (`fromShell`). */
export interface WarmShellRepository {
  /** Records a new shell on the lowest port of `portRange` no cluster or shell uses; PORTS_EXHAUSTED when none is left. */
  reserve(input: { id: string; flavor: string; nodeCount: number }, portRange: { from: number; to: number }): Promise<WarmShell>;
  list(): Promise<WarmShell[]>;
  /** False when the shell is gone (released). */
  markReady(id: string): Promise<boolean>;
  /** Deletes the shell's row unless a create took it first: true when this call deleted it (its engine objects are then the caller's to remove). */
  release(id: string): Promise<boolean>;
  /** The ready shell a create of `nodeCount` nodes of `flavor` would take: that flavor, the most nodes not above `nodeCount`. */
  pick(flavor: string, nodeCount: number): Promise<WarmShell | undefined>;
}

/** A warm shell for the engine to build (docs/warm-pool.md). */
export interface ShellToBuild {
  readonly id: string;
  readonly flavor: Flavor;
  readonly port: number;
  readonly nodeCount: number;
}
