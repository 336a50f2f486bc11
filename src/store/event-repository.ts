import { CarinaError, ErrorCode } from '../core/errors.js';
import type { EventRepository } from '../core/ports.js';
import { eventsCommitted, nowIso, type StoreContext } from './database.js';
import { announceEvents } from './event-commits.js';
import { lockEventOrder } from './event-order.js';
import { checkFence } from './fencing.js';
import { toEvent } from './row-mapping.js';
import { isForeignKeyViolation } from './sql-errors.js';

/** How many events `list` returns when the caller does not say. */
export const DEFAULT_EVENT_LIMIT = 1000;

/** A cluster's event log, backed by the `events` table. */
export function createEventRepository(ctx: StoreContext): EventRepository {
  const { db } = ctx;
  return {
    async append(clusterId, type, message) {
      const at = nowIso(ctx);
      try {
        // A transaction when there is a fence to check or an order to keep (./event-order.ts); one statement else.
        const { id } =
          ctx.fence || ctx.dialect === 'postgres'
            ? await db.transaction().execute(async (trx) => {
                await checkFence(trx, ctx);
                await lockEventOrder(trx, ctx.dialect);
                const row = await trx.insertInto('events').values({ cluster_id: clusterId, at, type, message }).returning('id').executeTakeFirstOrThrow();
                await announceEvents(trx, ctx);
                return row;
              })
            : await db.insertInto('events').values({ cluster_id: clusterId, at, type, message }).returning('id').executeTakeFirstOrThrow();
        eventsCommitted(ctx);
        return toEvent({ id, cluster_id: clusterId, at, type, message });
      } catch (err) {
        if (isForeignKeyViolation(err)) {
          throw new CarinaError(ErrorCode.CLUSTER_NOT_FOUND, `cluster ${clusterId} not found`, {
            cause: err,
            details: { id: clusterId },
          });
        }
        throw err;
      }
    },

    onCommit(listener) {
      return ctx.eventCommits?.add(listener) ?? (() => undefined);
    },

    async list(clusterId, options = {}) {
      const limit = Math.max(0, Math.trunc(options.limit ?? DEFAULT_EVENT_LIMIT));
      let query = db.selectFrom('events').selectAll().where('cluster_id', '=', clusterId);
      if (options.afterId !== undefined) query = query.where('id', '>', options.afterId);
      const rows = await query.orderBy('id').limit(limit).execute();
      return rows.map(toEvent);
    },

    async since(afterId, limit, accountId) {
      let query = db
        .selectFrom('events')
        .innerJoin('clusters', 'clusters.id', 'events.cluster_id')
        .select(['events.id', 'events.cluster_id', 'events.at', 'events.type', 'events.message', 'clusters.account_id', 'clusters.name'])
        .where('events.id', '>', afterId);
      if (accountId !== undefined) query = query.where('clusters.account_id', '=', accountId);
      const rows = await query.orderBy('events.id').limit(Math.max(0, Math.trunc(limit))).execute();
      return rows.map((row) => ({ ...toEvent(row), accountId: row.account_id, clusterName: row.name }));
    },

    async lastId() {
      const row = await db.selectFrom('events').select((eb) => eb.fn.max('id').as('last')).executeTakeFirst();
      return Number(row?.last ?? 0);
    },

    async existing(clusterIds) {
      if (clusterIds.length === 0) return [];
      const rows = await db.selectFrom('clusters').select('id').where('id', 'in', [...clusterIds]).execute();
      return rows.map((r) => r.id);
    },
  };
}
