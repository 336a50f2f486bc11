import type { Quotas } from './types';

// The same rule the API enforces (src/core/validation.ts); a test keeps the two in step.
const CLUSTER_NAME = /^[a-zA-Z][a-zA-Z0-9_.-]*$/;

/** Null when `name` is a valid cluster name, else what to fix. */
export function clusterNameProblem(name: string): string | null {
  if (name.length === 0) return 'Enter a name for the cluster.';
  if (name.length > 63) return `Use at most 63 characters (this one has ${name.length}).`;
  if (!/^[a-zA-Z]/.test(name)) return 'Start the name with a letter.';
  if (!CLUSTER_NAME.test(name)) return 'Use only letters, digits, "_", "." and "-" (no spaces).';
  return null;
}

export interface CreateInput {
  readonly name: string;
  /** As typed in the number field. */
  readonly nodes: string;
}

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
  const max = quotas?.max_nodes_per_cluster ?? 100;
  const n = Number(input.nodes);
  if (input.nodes.trim() === '' || !Number.isInteger(n)) problems.nodes = 'Enter a whole number of nodes.';
  else if (n < 1) problems.nodes = 'A cluster needs at least 1 node.';
  else if (n > max) problems.nodes = `Your quota allows at most ${max} nodes per cluster.`;
  return problems;
}

/** Why nodes cannot be added now, or null. `by` as typed. */
export function growProblem(by: string, current: number, quotas: Quotas | undefined): string | null {
  const n = Number(by);
  if (by.trim() === '' || !Number.isInteger(n) || n < 1) return 'Enter how many nodes to add (1 or more).';
  const max = quotas?.max_nodes_per_cluster;
  if (max !== undefined && current + n > max) {
    const room = max - current;
    return room <= 0 ? `This cluster already has the ${max} nodes your quota allows.` : `Your quota allows ${max} nodes per cluster: add at most ${room}.`;
  }
  return null;
}
