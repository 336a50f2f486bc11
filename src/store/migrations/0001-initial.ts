import type { Kysely, Migration } from 'kysely';
import type { DialectKind } from '../database.js';

/** Creates accounts, clusters, cluster_pki, nodes and events with the schema builder only. */
export function initialMigration(dialect: DialectKind): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('accounts')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('key_hash', 'text', (c) => c.notNull())
        .addColumn('quota_clusters', 'integer', (c) => c.notNull())
        .addColumn('quota_nodes', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addUniqueConstraint('uq_accounts_name', ['name'])
        .execute();

      await db.schema
        .createTable('clusters')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('flavor', 'text', (c) => c.notNull())
        .addColumn('node_count', 'integer', (c) => c.notNull())
        .addColumn('autoscale', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('status_reason', 'text')
        .addColumn('port', 'integer', (c) => c.notNull())
        .addColumn('failures', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addUniqueConstraint('uq_clusters_account_name', ['account_id', 'name'])
        .addUniqueConstraint('uq_clusters_port', ['port'])
        .execute();

      await db.schema
        .createTable('cluster_pki')
        .addColumn('cluster_id', 'text', (c) => c.primaryKey().references('clusters.id').onDelete('cascade'))
        .addColumn('ca_cert', 'text', (c) => c.notNull())
        .addColumn('ca_key', 'text', (c) => c.notNull())
        .addColumn('server_cert', 'text', (c) => c.notNull())
        .addColumn('server_key', 'text', (c) => c.notNull())
        .addColumn('client_cert', 'text', (c) => c.notNull())
        .addColumn('client_key', 'text', (c) => c.notNull())
        .addColumn('client_serial', 'text', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('nodes')
        .addColumn('cluster_id', 'text', (c) => c.notNull().references('clusters.id').onDelete('cascade'))
        .addColumn('idx', 'integer', (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('container_id', 'text')
        .addColumn('address', 'text')
        .addColumn('status', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('pk_nodes', ['cluster_id', 'idx'])
        .execute();

      // The only dialect difference: how an ever-growing integer key is declared.
      const events =
        dialect === 'postgres'
          ? db.schema.createTable('events').addColumn('id', 'serial', (c) => c.primaryKey())
          : db.schema.createTable('events').addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement());
      await events
        .addColumn('cluster_id', 'text', (c) => c.notNull().references('clusters.id').onDelete('cascade'))
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('message', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('ix_events_cluster_id').on('events').columns(['cluster_id', 'id']).execute();
    },

    async down(db: Kysely<unknown>): Promise<void> {
      for (const table of ['events', 'nodes', 'cluster_pki', 'clusters', 'accounts']) {
        await db.schema.dropTable(table).ifExists().execute();
      }
    },
  };
}
