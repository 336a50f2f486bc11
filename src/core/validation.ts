import { CarinaError, ErrorCode } from './errors.js';

const CLUSTER_NAME = /^[a-zA-Z][a-zA-Z0-9_.-]*$/;
const ACCOUNT_NAME = /^[a-z][a-z0-9_-]{0,62}$/;

/** Returns null when `name` is a valid cluster name, else why not. */
export function clusterNameProblem(name: string): string | null {
  if (name.length === 0) return 'cluster name must not be empty';
  if (name.length > 63) return `cluster name must be at most 63 characters (got ${name.length})`;
  if (!CLUSTER_NAME.test(name)) {
    return 'cluster name must start with a letter and contain only letters, digits, "_", "." and "-"';
  }
  return null;
}

/** Throws a validation error unless `name` is a valid cluster name. */
export function assertClusterName(name: string): void {
  const problem = clusterNameProblem(name);
  if (problem) throw new CarinaError(ErrorCode.VALIDATION, problem, { details: { field: 'name' } });
}

/** Most clusters one page of the cluster list holds, and how many it holds unless asked. */
export const PAGE_LIMIT = Object.freeze({ max: 500, default: 100 });

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
