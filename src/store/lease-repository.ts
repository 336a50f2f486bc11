import type { LeaseRepository } from '../core/ports.js';
import { nowIso, type StoreContext } from './database.js';
import { fenceHolds } from './fencing.js';

/** What a released lease's row says: nobody holds it and it expired long ago; its generation stays. */
const RELEASED = { holder: '', expires_at: new Date(0).toISOString() };

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
        .values({ name, holder, generation: 1, acquired_at: at, expires_at: until })
        .onConflict((oc) =>
          oc.column('name').doUpdateSet((eb) => {
            // A renewal (ours and not yet expired) keeps the term and its generation; anything else
            // — a takeover, or ours again after it lapsed (someone may have led in between) — starts a new one.
            const renewal = eb.and([eb('leases.holder', '=', holder), eb('leases.expires_at', '>', at)]);
            return {
              holder: eb.ref('excluded.holder'),
              generation: eb.case().when(renewal).then(eb.ref('leases.generation')).else(eb(eb.ref('leases.generation'), '+', 1)).end(),
              acquired_at: eb.case().when(renewal).then(eb.ref('leases.acquired_at')).else(eb.ref('excluded.acquired_at')).end(),
              expires_at: eb.ref('excluded.expires_at'),
            };
          }).where((eb) => eb.or([eb('leases.holder', '=', holder), eb('leases.expires_at', '<=', at)])),
        )
        .execute();
      const row = await db.selectFrom('leases').selectAll().where('name', '=', name).executeTakeFirst();
      return row?.holder === holder ? toLease(row) : undefined;
    },

    async holds(fence) {
      const row = await db.selectFrom('leases').select('name').where(fenceHolds(fence, nowIso(ctx))).executeTakeFirst();
      return row !== undefined;
    },

    async release(name, holder) {
      await db.updateTable('leases').set(RELEASED).where('name', '=', name).where('holder', '=', holder).execute();
    },

    async get(name) {
      const row = await db.selectFrom('leases').selectAll().where('name', '=', name).where('holder', '<>', RELEASED.holder).executeTakeFirst();
      return row && toLease(row);
    },
  };
}

function toLease(row: { name: string; holder: string; generation: number; acquired_at: string; expires_at: string }) {
  return { name: row.name, holder: row.holder, generation: Number(row.generation), acquiredAt: new Date(row.acquired_at), expiresAt: new Date(row.expires_at) };
}
