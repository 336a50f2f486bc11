import type { Flavor } from './flavors.js';

/** What one node carries: reservations (what the scheduler promised) and, when measured, what is used. */
export interface NodeUsage {
  readonly index: number;
  readonly reservedNanoCpus: number;
  readonly reservedMemoryBytes: number;
  readonly usedNanoCpus: number | null;
  readonly usedMemoryBytes: number | null;
  readonly containers: number;
  readonly tasks: number;
}

export interface ClusterUsage {
  readonly nodes: readonly NodeUsage[];
}

/** Carina's rule: grow by one node when reserved CPU or memory reaches 80 % of the cluster's capacity. */
export const AUTOSCALE_THRESHOLD = 0.8;

export interface AutoscaleInput {
  readonly nodeCount: number;
  readonly flavor: Flavor;
  readonly usage: ClusterUsage;
  /** The account's nodes-per-cluster quota. */
  readonly maxNodes: number;
}

/** Grow by one, blocked by the quota, or nothing to do; with the numbers for the event log. */
export type AutoscaleDecision =
  | { readonly kind: 'grow'; readonly to: number; readonly message: string }
  | { readonly kind: 'quota'; readonly message: string }
  | { readonly kind: 'none' };

const GiB = 1024 ** 3;
const pct = (f: number) => `${Math.round(f * 100)} %`;
const gib = (bytes: number) => `${Number((bytes / GiB).toFixed(1))} GiB`;

/** Pure autoscale policy. Never shrinks (Carina's rule, to avoid data loss). */
export function decideAutoscale(input: AutoscaleInput): AutoscaleDecision {
  const cpuCapacity = input.nodeCount * input.flavor.vcpus * 1e9;
  const memCapacity = input.nodeCount * input.flavor.memoryBytes;
  const cpu = sum(input.usage.nodes.map((n) => n.reservedNanoCpus)) / cpuCapacity;
  const mem = sum(input.usage.nodes.map((n) => n.reservedMemoryBytes)) / memCapacity;
  const reasons: string[] = [];
  if (mem >= AUTOSCALE_THRESHOLD) reasons.push(`reserved memory ${pct(mem)} of ${gib(memCapacity)} ≥ ${pct(AUTOSCALE_THRESHOLD)}`);
  if (cpu >= AUTOSCALE_THRESHOLD) reasons.push(`reserved CPU ${pct(cpu)} of ${input.nodeCount * input.flavor.vcpus} vCPU ≥ ${pct(AUTOSCALE_THRESHOLD)}`);
  if (reasons.length === 0) return { kind: 'none' };
  const why = reasons.join(' and ');
  if (input.nodeCount + 1 > input.maxNodes) {
    return { kind: 'quota', message: `${why}, but the quota of ${input.maxNodes} nodes per cluster is reached: not growing` };
  }
  return { kind: 'grow', to: input.nodeCount + 1, message: `${why}: growing ${input.nodeCount} → ${input.nodeCount + 1}` };
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
