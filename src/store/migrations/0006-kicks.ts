import type { Kysely, Migration } from 'kysely';

/**
 * Adds `kicks`: clusters a standby replica changed through its API, for the leader to work on at
 * once rather than at its next periodic pass. One row per cluster; the leader takes them.
 */
export function kicksMigration(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('kicks')
        .addColumn('cluster_id', 'text', (c) => c.primaryKey())
        .addColumn('at', 'text', (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('kicks').ifExists().execute();
    },
  };
}
