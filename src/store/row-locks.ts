import type { Kysely, Selectable } from 'kysely';
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
