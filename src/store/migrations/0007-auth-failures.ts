import type { Kysely, Migration } from 'kysely';

/**
 * Adds `auth_failures`: wrong API keys per bucket (client address + account) in the current
 * window, so replicas sharing a store throttle key guessing together rather than each on its own.
 */
export function authFailuresMigration(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('auth_failures')
        .addColumn('bucket', 'text', (c) => c.primaryKey())
        .addColumn('window_start', 'text', (c) => c.notNull())
        .addColumn('failures', 'integer', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('ix_auth_failures_window_start').on('auth_failures').column('window_start').execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('auth_failures').ifExists().execute();
    },
  };
}
