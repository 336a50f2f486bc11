import type { Kysely, Migration } from 'kysely';

/**
 * Adds `cluster_pki.version`, raised by every write of a cluster's key material, so the gateway
 * can see which clusters' keys changed without reading (and unsealing) all of them every second.
 */
export function pkiVersionMigration(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('cluster_pki').addColumn('version', 'integer', (c) => c.notNull().defaultTo(1)).execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('cluster_pki').dropColumn('version').execute();
    },
  };
}
