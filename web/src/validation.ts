import { CLUSTER_NAME, clusterNameFault, type ClusterNameFault } from '../../src/wire/cluster-name';
import { NODES } from '../../src/wire/limits';
import type { Quotas } from './types';

// The contract's rule (src/wire/cluster-name.ts), in the portal's words.
const NAME_PROBLEM: Readonly<Record<ClusterNameFault, (name: string) => string>> = Object.freeze({
  empty: () => 'Enter a name for the cluster.',
  'too-long': (name) => `Use at most ${CLUSTER_NAME.maxLength} characters (this one has ${name.length}).`,
  'first-character': () => 'Start the name with a letter.',
  characters: () => 'Use only letters, digits, "_", "." and "-" (no spaces).',
});

/** Null when `name` is a valid cluster name, else what to fix. */
export function clusterNameProblem(name: string): string | null {
  const fault = clusterNameFault(name);
  return fault === null ? null : NAME_PROBLEM[fault](name);
}

/** The most nodes a cluster may be created with: the account's quota, within the server's limit. */
export function maxNodes(quotas: Quotas | undefined): number {
  return Math.min(quotas?.max_nodes_per_cluster ?? NODES.max, NODES.max);
}

/** The create form's fields, as typed. */
export interface CreateInput {
  readonly name: string;
  /** As typed in the number field. */
  readonly nodes: string;
}

/** The create form's inline errors, by field. */
export interface CreateProblems {
  readonly name?: string;
  readonly nodes?: string;
}

/** The inline errors of the create form; an empty object when it can be sent. */
export function createProblems(input: CreateInput, quotas: Quotas | undefined, existingNames: readonly string[] = []): CreateProblems {
  const problems: { name?: string; nodes?: string } = {};
  const name = clusterNameProblem(input.name.trim());
  if (name) problems.name = name;
  else if (existingNames.includes(input.name.trim())) problems.name = `You already have a cluster named "${input.name.trim()}". Pick another name.`;
  const max = maxNodes(quotas);
  const n = Number(input.nodes);
  if (input.nodes.trim() === '' || !Number.isInteger(n)) problems.nodes = 'Enter a whole number of nodes.';
  else if (n < NODES.min) problems.nodes = `A cluster needs at least ${NODES.min} node.`;
  else if (n > max) problems.nodes = max < NODES.max ? `Your quota allows at most ${max} nodes per cluster.` : `A cluster is created with at most ${max} nodes.`;
  return problems;
}

/** Why nodes cannot be added now, or null. `by` as typed. */
export function growProblem(by: string, current: number, quotas: Quotas | undefined): string | null {
  const n = Number(by);
  if (by.trim() === '' || !Number.isInteger(n) || n < NODES.min) return 'Enter how many nodes to add (1 or more).';
  if (n > NODES.max) return `Add at most ${NODES.max} nodes at a time.`;
  const max = quotas?.max_nodes_per_cluster;
  if (max !== undefined && current + n > max) {
    const room = max - current;
    return room <= 0 ? `This cluster already has the ${max} nodes your quota allows.` : `Your quota allows ${max} nodes per cluster: add at most ${room}.`;
  }
  return null;
}
