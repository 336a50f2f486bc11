import type { Kysely, Migration } from 'kysely';

/**
 * Adds `leases`: named, expiring claims that replicas sharing one store take turns holding. The
 * `control-plane` lease says which replica runs the reconciler, the autoscaler and the gateways.
 */
export function leasesMigration(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('leases')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('holder', 'text', (c) => c.notNull())
        .addColumn('acquired_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('leases').ifExists().execute();
    },
  };
}
