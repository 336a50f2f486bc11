import { sql, type Kysely } from 'kysely';
import { CarinaError, ErrorCode } from '../core/errors.js';
import type { Database, DialectKind } from './database.js';

/** Inclusive range of host ports clusters (and the warm shells that become clusters) take their endpoint from. */
export interface PortRange {
  readonly from: number;
  readonly to: number;
}

/** The advisory lock key of port allocation ("port"). */
const PORTS_LOCK = 0x706f7274;

/**
 * Waits for the other transactions picking a port to commit. The clusters' and the warm shells'
 * unique port indexes cannot see each other, so without it a cluster and a shell could take one
 * port at once. PostgreSQL: a transaction-scoped advisory lock. SQLite: a write statement (an
 * UPDATE of `warm_shells` that matches no row) makes the transaction the file's one writer at once;
 * within one process Kysely's single connection already runs transactions one at a time.
 */
async function lockPorts(trx: Kysely<Database>, dialect: DialectKind): Promise<void> {
  if (dialect === 'postgres') await sql`select pg_advisory_xact_lock(${PORTS_LOCK})`.execute(trx);
  else await trx.updateTable('warm_shells').set((eb) => ({ ready: eb.ref('ready') })).where('id', '=', '').execute();
}

/** The lowest port of `range` that neither a cluster nor a warm shell uses, or undefined when all are taken. */
async function lowestFreePort(trx: Kysely<Database>, range: PortRange): Promise<number | undefined> {
  const inRange = (table: 'clusters' | 'warm_shells') =>
    trx.selectFrom(table as 'clusters').select('port').where('port', '>=', range.from).where('port', '<=', range.to).execute();
  const [clusters, shells] = await Promise.all([inRange('clusters'), inRange('warm_shells')]);
  const used = [...clusters, ...shells].map((r) => Number(r.port)).sort((a, b) => a - b);
  let candidate = range.from;
  for (const port of used) {
    if (port === candidate) candidate += 1;
    else if (port > candidate) break;
  }
  return candidate <= range.to ? candidate : undefined;
}

/**
 * Inside a transaction that will insert a cluster or a warm shell: the lowest port of `range` no
 * cluster or shell holds, under the port lock until the commit; PORTS_EXHAUSTED when none is left.
 */
export async function allocatePort(trx: Kysely<Database>, dialect: DialectKind, range: PortRange): Promise<number> {
  await lockPorts(trx, dialect);
  const port = await lowestFreePort(trx, range);
  if (port === undefined) {
    throw new CarinaError(ErrorCode.PORTS_EXHAUSTED, `no free port left in ${range.from}-${range.to}: delete a cluster or ask an operator to widen the port range`, {
      details: { from: range.from, to: range.to },
    });
  }
  return port;
}
