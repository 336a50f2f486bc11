import type { Selectable } from 'kysely';
import type { WarmShell, WarmShellRepository } from '../core/ports.js';
import { nowIso, type StoreContext, type WarmShellsTable } from './database.js';
import { allocatePort } from './port-allocation.js';

function toShell(row: Selectable<WarmShellsTable>): WarmShell {
  return { id: row.id, flavor: row.flavor, nodeCount: Number(row.node_count), port: Number(row.port), ready: Number(row.ready) === 1, createdAt: new Date(row.created_at) };
}

/** Warm shells in `warm_shells` (issue 16). A create takes one in cluster-create.ts. */
export function createWarmShellRepository(ctx: StoreContext): WarmShellRepository {
  const { db } = ctx;
  return {
    async reserve(input, range) {
      return db.transaction().execute(async (trx) => {
        const port = await allocatePort(trx, ctx.dialect, range);
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
