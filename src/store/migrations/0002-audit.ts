import type { Kysely, Migration } from 'kysely';
import type { DialectKind } from '../database.js';

/** Adds `audit`: one row per Docker API request through a cluster's gateway (no bodies). */
export function auditMigration(dialect: DialectKind): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      const audit =
        dialect === 'postgres'
          ? db.schema.createTable('audit').addColumn('id', 'serial', (c) => c.primaryKey())
          : db.schema.createTable('audit').addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement());
      await audit
        .addColumn('cluster_id', 'text', (c) => c.notNull().references('clusters.id').onDelete('cascade'))
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('account', 'text', (c) => c.notNull())
        .addColumn('method', 'text', (c) => c.notNull())
        .addColumn('path', 'text', (c) => c.notNull())
        .addColumn('status', 'integer', (c) => c.notNull())
        .addColumn('cert_serial', 'text', (c) => c.notNull())
        .addColumn('denied_code', 'text')
        .execute();
      await db.schema.createIndex('ix_audit_cluster_id').on('audit').columns(['cluster_id', 'id']).execute();
    },

    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('audit').ifExists().execute();
    },
  };
}
