import type { ExpressionBuilder, Kysely } from 'kysely';
import { fencedError } from '../core/errors.js';
import type { Fence } from '../core/ports.js';
import { nowIso, type Database, type StoreContext } from './database.js';

/**
 * Inside a transaction, before its writes: throws FENCED unless the view's fence still holds — the
 * lease row has its holder and generation and has not expired at the store's clock. The check takes
 * a lock on the lease row that a takeover (an UPDATE of that row) must wait for, so the lease cannot
 * change hands between the check and the commit: PostgreSQL `FOR SHARE`; SQLite a no-op UPDATE,
 * which makes the transaction the file's one writer at once. A view without a fence checks nothing.
 */
/** The lease row still says `fence`: its holder and generation, not expired at `now` (an ISO string). */
export function fenceHolds(fence: Fence, now: string) {
  return (eb: ExpressionBuilder<Database, 'leases'>) =>
    eb.and([eb('name', '=', fence.lease), eb('holder', '=', fence.holder), eb('generation', '=', fence.generation), eb('expires_at', '>', now)]);
}

export async function checkFence(trx: Kysely<Database>, ctx: StoreContext): Promise<void> {
  if (!ctx.fence) return;
  const fence = ctx.fence();
  if (!fence) throw fencedError(undefined);
  const now = nowIso(ctx);
  let held: boolean;
  if (ctx.dialect === 'postgres') {
    const row = await trx.selectFrom('leases').select('name').where(fenceHolds(fence, now)).forShare().executeTakeFirst();
    held = row !== undefined;
  } else {
    const result = await trx
      .updateTable('leases')
      .set((eb) => ({ generation: eb.ref('generation') }))
      .where(fenceHolds(fence, now))
      .executeTakeFirst();
    held = result.numUpdatedRows === 1n;
  }
  if (!held) throw fencedError(fence);
}

/**
 * Runs a write of one statement: as it is for an unfenced view, else in a transaction that checks
 * the fence first (`checkFence`), so the check and the write commit together or not at all.
 */
export function fencedWrite<T>(ctx: StoreContext, write: (db: Kysely<Database>) => Promise<T>): Promise<T> {
  if (!ctx.fence) return write(ctx.db);
  return ctx.db.transaction().execute(async (trx) => {
    await checkFence(trx, ctx);
    return write(trx);
  });
}
