import type { Selectable } from 'kysely';
import type { SessionRepository, StoredSession } from '../core/ports.js';
import type { SessionsTable, StoreContext } from './database.js';

function toSession(row: Selectable<SessionsTable>): StoredSession {
  return {
    idHash: row.id_hash,
    accountId: row.account_id,
    keyHash: row.key_hash,
    csrfToken: row.csrf_token,
    createdAt: new Date(row.created_at),
    expiresAt: new Date(row.expires_at),
  };
}

/** Portal sessions, backed by the `sessions` table (they survive a restart of the control plane). */
export function createSessionRepository(ctx: StoreContext): SessionRepository {
  const { db } = ctx;
  return {
    async create(s, maxPerAccount) {
      await db.transaction().execute(async (trx) => {
        await trx
          .insertInto('sessions')
          .values({
            id_hash: s.idHash,
            account_id: s.accountId,
            key_hash: s.keyHash,
            csrf_token: s.csrfToken,
            created_at: s.createdAt.toISOString(),
            expires_at: s.expiresAt.toISOString(),
          })
          .execute();
        // Bound the sessions of one account: past the limit, the oldest sign-ins end.
        const keep = trx
          .selectFrom('sessions')
          .select('id_hash')
          .where('account_id', '=', s.accountId)
          .orderBy('created_at', 'desc')
          .orderBy('id_hash')
          .limit(maxPerAccount);
        await trx.deleteFrom('sessions').where('account_id', '=', s.accountId).where('id_hash', 'not in', keep).execute();
      });
    },

    async get(idHash) {
      const row = await db.selectFrom('sessions').selectAll().where('id_hash', '=', idHash).executeTakeFirst();
      return row && toSession(row);
    },

    async delete(idHash) {
      await db.deleteFrom('sessions').where('id_hash', '=', idHash).execute();
    },

    async deleteExpired(now) {
      // ISO-8601 UTC strings of fixed width: text order is time order, in both dialects.
      const result = await db.deleteFrom('sessions').where('expires_at', '<=', now.toISOString()).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
