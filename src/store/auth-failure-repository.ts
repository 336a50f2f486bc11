import type { AuthFailureRepository } from '../core/ports.js';
import type { StoreContext } from './database.js';

/** Failed authentications per bucket in fixed windows, in `auth_failures` (one upsert per failure). */
export function createAuthFailureRepository(ctx: StoreContext): AuthFailureRepository {
  const { db } = ctx;
  return {
    async record(bucket, now, windowMs) {
      const at = now.toISOString();
      const expiredBefore = new Date(now.getTime() - windowMs).toISOString();
      // A failure in the bucket's current window counts on; one after it starts a new window.
      // (ISO-8601 UTC strings of fixed width: text order is time order, in both dialects.)
      await db
        .insertInto('auth_failures')
        .values({ bucket, window_start: at, failures: 1 })
        .onConflict((oc) =>
          oc.column('bucket').doUpdateSet((eb) => ({
            window_start: eb.case().when('auth_failures.window_start', '<=', expiredBefore).then(eb.ref('excluded.window_start')).else(eb.ref('auth_failures.window_start')).end(),
            failures: eb.case().when('auth_failures.window_start', '<=', expiredBefore).then(1).else(eb(eb.ref('auth_failures.failures'), '+', 1)).end(),
          })),
        )
        .execute();
      // Forget the buckets whose window is over, so the table holds only the current minute.
      await db.deleteFrom('auth_failures').where('window_start', '<=', expiredBefore).execute();
    },

    async current(bucket, now, windowMs) {
      const row = await db.selectFrom('auth_failures').selectAll().where('bucket', '=', bucket).executeTakeFirst();
      if (!row) return undefined;
      const windowStart = new Date(row.window_start);
      if (windowStart.getTime() + windowMs <= now.getTime()) return undefined;
      return { failures: Number(row.failures), windowStart };
    },
  };
}
