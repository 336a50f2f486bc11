import { CLUSTER_NAME, clusterNameFault, type ClusterNameFault } from '../wire/cluster-name.js';
import { PAGE_LIMIT } from '../wire/limits.js';
import { CarinaError, ErrorCode } from './errors.js';

const ACCOUNT_NAME = /^[a-z][a-z0-9_-]{0,62}$/;

const NAME_PROBLEM: Readonly<Record<ClusterNameFault, (name: string) => string>> = Object.freeze({
  empty: () => 'cluster name must not be empty',
  'too-long': (name) => `cluster name must be at most ${CLUSTER_NAME.maxLength} characters (got ${name.length})`,
  'first-character': () => 'cluster name must start with a letter and contain only letters, digits, "_", "." and "-"',
  characters: () => 'cluster name must start with a letter and contain only letters, digits, "_", "." and "-"',
});

/** Returns null when `name` is a valid cluster name (the contract's rule), else why not. */
export function clusterNameProblem(name: string): string | null {
  const fault = clusterNameFault(name);
  return fault === null ? null : NAME_PROBLEM[fault](name);
}

/** Throws a validation error unless `name` is a valid cluster name. */
export function assertClusterName(name: string): void {
  const problem = clusterNameProblem(name);
  if (problem) throw new CarinaError(ErrorCode.VALIDATION, problem, { details: { field: 'name' } });
}

/** The page size a `limit` query parameter asks for (a decimal string; absent = the default), or a validation error. */
export function parsePageLimit(raw: string | undefined): number {
  if (raw === undefined) return PAGE_LIMIT.default;
  const n = /^[0-9]{1,4}$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= 1 && n <= PAGE_LIMIT.max)) {
    throw new CarinaError(ErrorCode.VALIDATION, `limit must be a whole number from 1 to ${PAGE_LIMIT.max} (got "${raw}")`, { details: { field: 'limit' } });
  }
  return n;
}

/** Returns null when `name` is a valid account name, else why not. */
export function accountNameProblem(name: string): string | null {
  if (!ACCOUNT_NAME.test(name)) {
    return 'account name must start with a lowercase letter and contain only a-z, 0-9, "_" and "-" (at most 63 characters)';
  }
  return null;
}

const HOST_NAME = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** Returns null when `name` is a valid Docker host name (a lower-case DNS label), else why not. */
export function hostNameProblem(name: string): string | null {
  if (HOST_NAME.test(name)) return null;
  return `host name must be a lower-case DNS label: a-z, 0-9 and "-", not starting or ending with "-", at most 63 characters (got "${name}")`;
}
