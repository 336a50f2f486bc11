import type { Kysely, Migration } from 'kysely';

/**
 * Adds `warm_shells` (issue 16, docs/warm-pool.md): clusters built ahead of any request — a network
 * and node containers with their engines up, under an id and a port reserved here — that a create
 * takes over by inserting its cluster with the shell's id and port in the transaction that deletes
 * the shell's row. `port` is unique among shells; the clusters' ports are kept apart from them by
 * the port lock (port-allocation.ts), since a unique index cannot span two tables.
 */
export function warmShellsMigration(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('warm_shells')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('flavor', 'text', (c) => c.notNull())
        .addColumn('node_count', 'integer', (c) => c.notNull())
        .addColumn('port', 'integer', (c) => c.notNull().unique())
        .addColumn('ready', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('warm_shells').ifExists().execute();
    },
  };
}
