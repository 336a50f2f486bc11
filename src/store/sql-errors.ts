/** Which unique rule a failed insert or update broke. */
export type UniqueRule = 'account-name' | 'cluster-name' | 'cluster-port' | 'other';

// PostgreSQL reports the constraint name; SQLite reports the columns ("UNIQUE constraint failed: clusters.port").
const BY_CONSTRAINT: Readonly<Record<string, UniqueRule>> = {
  uq_accounts_name: 'account-name',
  uq_clusters_account_name: 'cluster-name',
  uq_clusters_port: 'cluster-port',
};
const BY_COLUMNS: Readonly<Record<string, UniqueRule>> = {
  'accounts.name': 'account-name',
  'clusters.account_id, clusters.name': 'cluster-name',
  'clusters.port': 'cluster-port',
};

interface DriverError {
  readonly code?: unknown;
  readonly constraint?: unknown;
  readonly message?: unknown;
}

function asDriverError(err: unknown): DriverError | undefined {
  return typeof err === 'object' && err !== null ? err : undefined;
}

/** The unique rule `err` violated, or undefined when it is not a unique violation. */
export function uniqueViolation(err: unknown): UniqueRule | undefined {
  const e = asDriverError(err);
  if (e === undefined) return undefined;
  if (e.code === '23505') {
    return (typeof e.constraint === 'string' ? BY_CONSTRAINT[e.constraint] : undefined) ?? 'other';
  }
  if (e.code === 'SQLITE_CONSTRAINT_UNIQUE' || e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    const columns = typeof e.message === 'string' ? e.message.replace(/^UNIQUE constraint failed: /, '') : '';
    return BY_COLUMNS[columns] ?? 'other';
  }
  return undefined;
}

/** True when `err` is a foreign-key violation (a referenced row is missing, or a referencing row remains). */
export function isForeignKeyViolation(err: unknown): boolean {
  const code = asDriverError(err)?.code;
  return code === '23503' || code === 'SQLITE_CONSTRAINT_FOREIGNKEY';
}
