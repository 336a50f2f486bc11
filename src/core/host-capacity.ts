import type { Flavor } from './flavors.js';
import { placementPool } from './placement.js';
import type { Host, NodePlacement } from './ports.js';

/** What the operator may ask a host to give less of than its engine has. */
export interface CapacityLimits {
  readonly cpus?: number | undefined;
  readonly memoryBytes?: number | undefined;
}

/** A host's allocatable capacity, or why the limits asked for cannot be given. */
export type AllocatableOutcome =
  | { readonly ok: true; readonly nanoCpus: number; readonly memoryBytes: number }
  | { readonly ok: false; readonly problem: string };

const GiB = 1024 ** 3;
const gib = (bytes: number) => `${Number((bytes / GiB).toFixed(2))} GiB`;

/**
 * What placement may reserve on a host: all its engine has (NCPU × 1e9 nanoCPUs, MemTotal), or less
 * when the operator says so (the rest kept for the host's own dockerd and system); never more.
 */
export function allocatableCapacity(engine: { readonly cpus: number; readonly memoryBytes: number }, limits: CapacityLimits = {}): AllocatableOutcome {
  const { cpus = engine.cpus, memoryBytes = engine.memoryBytes } = limits;
  if (!(cpus > 0)) return { ok: false, problem: `--cpus must be a positive number (got ${cpus})` };
  if (!(memoryBytes > 0)) return { ok: false, problem: `--memory-gib must be a positive number (got ${gib(memoryBytes)})` };
  if (cpus > engine.cpus) return { ok: false, problem: `--cpus ${cpus} is more than the engine has (${engine.cpus} CPUs)` };
  if (memoryBytes > engine.memoryBytes) return { ok: false, problem: `--memory-gib ${gib(memoryBytes)} is more than the engine has (${gib(engine.memoryBytes)})` };
  return { ok: true, nanoCpus: Math.round(cpus * 1e9), memoryBytes: Math.floor(memoryBytes) };
}

/** One host with its nodes and what they reserve against what it can give. */
export interface HostUsage {
  readonly host: Host;
  readonly nodes: number;
  readonly reservedNanoCpus: number;
  readonly reservedMemoryBytes: number;
}

/**
 * Every host with the nodes placed on it and their flavors' reservations, counted as placement
 * counts them (`placementPool`: a flavor no longer offered reserves as much as the largest).
 */
export function hostUsage(hosts: readonly Host[], placed: readonly (NodePlacement & { readonly flavor: string })[], flavors: readonly Flavor[]): HostUsage[] {
  const pool = placementPool(hosts, placed, flavors);
  return hosts.map((host, i) => {
    const nodes = pool[i]?.nodes ?? [];
    return {
      host,
      nodes: nodes.length,
      reservedNanoCpus: nodes.reduce((sum, n) => sum + n.nanoCpus, 0),
      reservedMemoryBytes: nodes.reduce((sum, n) => sum + n.memoryBytes, 0),
    };
  });
}
