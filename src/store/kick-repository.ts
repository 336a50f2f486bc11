import type { KickRepository } from '../core/ports.js';
import { nowIso, type StoreContext } from './database.js';

/** Kicks in the `kicks` table: a standby inserts, the leader takes (reads and deletes what it read). */
export function createKickRepository(ctx: StoreContext): KickRepository {
  const { db } = ctx;
  return {
    async request(clusterId) {
      await db.insertInto('kicks').values({ cluster_id: clusterId, at: nowIso(ctx) }).onConflict((oc) => oc.column('cluster_id').doNothing()).execute();
    },

    async take() {
      const rows = await db.selectFrom('kicks').select('cluster_id').execute();
      if (rows.length === 0) return [];
      const ids = rows.map((r) => r.cluster_id);
      // Only what was read: a request arriving meanwhile for another cluster stays for the next take
      // (one for a cluster read here is served by this take: the leader reads the store after it).
      await db.deleteFrom('kicks').where('cluster_id', 'in', ids).execute();
      return ids;
    },
  };
}
