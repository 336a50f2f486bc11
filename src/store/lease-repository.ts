import type { LeaseRepository } from '../core/ports.js';
import type { StoreContext } from './database.js';

/** Leases in the `leases` table: one upsert decides, so two replicas never both win. */
export function createLeaseRepository(ctx: StoreContext): LeaseRepository {
  const { db } = ctx;
  return {
    async acquire(name, holder, now, ttlMs) {
      const at = now.toISOString();
      const until = new Date(now.getTime() + ttlMs).toISOString();
      // Taken over only when it is ours or has expired; otherwise the row stays as it is.
      // (ISO-8601 UTC strings of fixed width: text order is time order, in both dialects.)
      await db
        .insertInto('leases')
        .values({ name, holder, acquired_at: at, expires_at: until })
        .onConflict((oc) =>
          oc.column('name').doUpdateSet((eb) => ({
            holder: eb.ref('excluded.holder'),
            // A renewal keeps the time it was first acquired; a takeover starts a new term.
            acquired_at: eb.case().when('leases.holder', '=', holder).then(eb.ref('leases.acquired_at')).else(eb.ref('excluded.acquired_at')).end(),
            expires_at: eb.ref('excluded.expires_at'),
          })).where((eb) => eb.or([eb('leases.holder', '=', holder), eb('leases.expires_at', '<=', at)])),
        )
        .execute();
      const row = await db.selectFrom('leases').select('holder').where('name', '=', name).executeTakeFirst();
      return row?.holder === holder;
    },

    async release(name, holder) {
      await db.deleteFrom('leases').where('name', '=', name).where('holder', '=', holder).execute();
    },

    async get(name) {
      const row = await db.selectFrom('leases').selectAll().where('name', '=', name).executeTakeFirst();
      return row && { name: row.name, holder: row.holder, acquiredAt: new Date(row.acquired_at), expiresAt: new Date(row.expires_at) };
    },
  };
}
