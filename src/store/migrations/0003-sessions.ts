import type { Kysely, Migration } from 'kysely';

/**
 * Adds `sessions`: the portal's signed-in browsers, so a restart of carina-server (or another
 * replica) keeps them. Keyed by the SHA-256 of the cookie value; the cookie itself is never stored.
 */
export function sessionsMigration(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('sessions')
        .addColumn('id_hash', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
        .addColumn('key_hash', 'text', (c) => c.notNull())
        .addColumn('csrf_token', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('ix_sessions_expires_at').on('sessions').column('expires_at').execute();
      await db.schema.createIndex('ix_sessions_account_id').on('sessions').columns(['account_id', 'created_at']).execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('sessions').ifExists().execute();
    },
  };
}
