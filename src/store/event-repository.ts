import { CarinaError, ErrorCode } from '../core/errors.js';
import type { EventRepository } from '../core/ports.js';
import { nowIso, type StoreContext } from './database.js';
import { fencedWrite } from './fencing.js';
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
        const { id } = await fencedWrite(ctx, (w) =>
          w.insertInto('events').values({ cluster_id: clusterId, at, type, message }).returning('id').executeTakeFirstOrThrow(),
        );
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

    async list(clusterId, options = {}) {
      const limit = Math.max(0, Math.trunc(options.limit ?? DEFAULT_EVENT_LIMIT));
      let query = db.selectFrom('events').selectAll().where('cluster_id', '=', clusterId);
      if (options.afterId !== undefined) query = query.where('id', '>', options.afterId);
      const rows = await query.orderBy('id').limit(limit).execute();
      return rows.map(toEvent);
    },
  };
}
