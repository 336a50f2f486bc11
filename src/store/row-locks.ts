import { sql, type Kysely, type Selectable } from 'kysely';
import type { AccountsTable, ClustersTable, Database, DialectKind } from './database.js';

// Inside a transaction, these take the write lock on one row before anything is read, so that
// concurrent read-check-write sequences on that row run one after the other.
// PostgreSQL: SELECT ... FOR UPDATE. SQLite has no row locks: a no-op UPDATE makes the transaction
// a writer at once (waiting up to busy_timeout for other processes), which serializes writers on the
// whole file; within one process Kysely's single connection already runs transactions one at a time.

/** Locks and returns the account row, or undefined when there is none. */
export async function lockAccount(
  trx: Kysely<Database>,
  dialect: DialectKind,
  id: string,
): Promise<Selectable<AccountsTable> | undefined> {
  if (dialect === 'postgres') {
    return trx.selectFrom('accounts').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
  }
  await trx.updateTable('accounts').set((eb) => ({ key_hash: eb.ref('key_hash') })).where('id', '=', id).execute();
  return trx.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Locks and returns the cluster row (without the account name), or undefined when there is none. */
export async function lockCluster(
  trx: Kysely<Database>,
  dialect: DialectKind,
  id: string,
): Promise<Selectable<ClustersTable> | undefined> {
  if (dialect === 'postgres') {
    return trx.selectFrom('clusters').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
  }
  await trx.updateTable('clusters').set((eb) => ({ updated_at: eb.ref('updated_at') })).where('id', '=', id).execute();
  return trx.selectFrom('clusters').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The advisory lock key of port allocation ("port"). */
const PORTS_LOCK = 0x706f7274;

/**
 * Inside a transaction that picks a free port for a cluster or a warm shell: waits for the others
 * doing so to commit. The clusters' and the shells' unique port indexes cannot see each other, so
 * without it a cluster and a shell could take one port at once. PostgreSQL: a transaction-scoped
 * advisory lock. SQLite: a no-op UPDATE of the lease table makes the transaction the file's one
 * writer at once (within one process Kysely's single connection already runs them one at a time).
 */
export async function lockPorts(trx: Kysely<Database>, dialect: DialectKind): Promise<void> {
  if (dialect === 'postgres') await sql`select pg_advisory_xact_lock(${PORTS_LOCK})`.execute(trx);
  else await trx.updateTable('warm_shells').set((eb) => ({ ready: eb.ref('ready') })).where('id', '=', '').execute();
}
