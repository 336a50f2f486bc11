import { sql, type Kysely } from 'kysely';
import type { Database, DialectKind } from './database.js';

// Live event streams read `id > last` and resume from the last id a client saw, so an event must
// never become visible after one with a higher id. PostgreSQL hands out serial ids at INSERT but
// publishes rows at COMMIT: two writers (the leader's parallel steps, any replica's API) can commit
// 11 before 10, and a reader between the two commits would skip 10 for ever. So every transaction
// that inserts an event first takes one transaction-scoped advisory lock, held until its commit:
// ids are then drawn and published in the same order. It is taken just before the insert, the
// transaction's last write, so its holder waits on nothing while others wait on it. SQLite has one
// writer at a time already (the file's lock, from the insert through the commit).

/** The advisory lock key of event inserts ("evnt"). */
const EVENT_ORDER_LOCK = 0x65766e74;

/** Inside a transaction that is about to insert into `events`: waits for the writers before it to commit. */
export async function lockEventOrder(trx: Kysely<Database>, dialect: DialectKind): Promise<void> {
  if (dialect === 'postgres') await sql`select pg_advisory_xact_lock(${EVENT_ORDER_LOCK})`.execute(trx);
}
