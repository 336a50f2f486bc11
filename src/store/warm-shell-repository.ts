import type { Kysely, Selectable } from 'kysely';
import { CarinaError, ErrorCode } from '../core/errors.js';
import type { WarmShell, WarmShellRepository } from '../core/ports.js';
import { nowIso, type Database, type StoreContext, type WarmShellsTable } from './database.js';
import { lockPorts } from './row-locks.js';

/** Inclusive range of host ports clusters (and the shells that become clusters) take their endpoint from. */
export interface PortRange {
  readonly from: number;
  readonly to: number;
}

function toShell(row: Selectable<WarmShellsTable>): WarmShell {
  return { id: row.id, flavor: row.flavor, nodeCount: Number(row.node_count), port: Number(row.port), ready: Number(row.ready) === 1, createdAt: new Date(row.created_at) };
}

/**
 * The lowest port of `range` that neither a cluster nor a warm shell uses, or undefined when all are
 * taken. Call it under `lockPorts`: the two tables' unique indexes cannot see each other.
 */
export async function lowestFreePort(trx: Kysely<Database>, range: PortRange): Promise<number | undefined> {
  const inRange = <T extends 'clusters' | 'warm_shells'>(table: T) =>
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

export function portsExhausted(range: PortRange): CarinaError {
  return new CarinaError(ErrorCode.PORTS_EXHAUSTED, `no free port left in ${range.from}-${range.to}: delete a cluster or ask an operator to widen the port range`, {
    details: { from: range.from, to: range.to },
  });
}

/** Warm shells in `warm_shells` (issue 16). A create takes one in cluster-create.ts. */
export function createWarmShellRepository(ctx: StoreContext): WarmShellRepository {
  const { db } = ctx;
  return {
    async reserve(input, range) {
      return db.transaction().execute(async (trx) => {
        await lockPorts(trx, ctx.dialect);
        const port = await lowestFreePort(trx, range);
        if (port === undefined) throw portsExhausted(range);
        const row = { id: input.id, flavor: input.flavor, node_count: input.nodeCount, port, created_at: nowIso(ctx) };
        await trx.insertInto('warm_shells').values(row).execute();
        return toShell({ ...row, ready: 0 });
      });
    },

    async list() {
      return (await db.selectFrom('warm_shells').selectAll().orderBy('created_at').orderBy('id').execute()).map(toShell);
    },

    async markReady(id) {
      const r = await db.updateTable('warm_shells').set({ ready: 1 }).where('id', '=', id).executeTakeFirst();
      return r.numUpdatedRows === 1n;
    },

    async release(id) {
      const r = await db.deleteFrom('warm_shells').where('id', '=', id).executeTakeFirst();
      return r.numDeletedRows === 1n;
    },

    async pick(flavor, nodeCount) {
      const row = await db
        .selectFrom('warm_shells')
        .selectAll()
        .where('ready', '=', 1)
        .where('flavor', '=', flavor)
        .where('node_count', '<=', nodeCount)
        .orderBy('node_count', 'desc')
        .orderBy('created_at')
        .limit(1)
        .executeTakeFirst();
      return row && toShell(row);
    },
  };
}
