import type { Kysely, Migration } from 'kysely';

/**
 * Adds `hosts` (the Docker hosts of a pool: address, TLS files, state, what each can give) and
 * `placements` (which host a node of a cluster runs on; no row: the local engine, as before).
 * Placements are a table of their own, not a column of `nodes`: node rows are rewritten from each
 * observation, while a placement is decided before its node exists and must outlive those rewrites.
 * Not used by the platform yet (issue 13).
 */
export function hostsMigration(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('hosts')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('docker_host', 'text', (c) => c.notNull())
        .addColumn('tls_dir', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        // bigint: 64 vCPUs are 6.4e10 nanoCPUs and 256 GiB is 2.7e11 bytes, past PostgreSQL's integer.
        .addColumn('allocatable_nano_cpus', 'bigint', (c) => c.notNull())
        .addColumn('allocatable_memory_bytes', 'bigint', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addColumn('last_seen_at', 'text')
        .execute();
      await db.schema
        .createTable('placements')
        .addColumn('cluster_id', 'text', (c) => c.notNull().references('clusters.id').onDelete('cascade'))
        .addColumn('idx', 'integer', (c) => c.notNull())
        // No cascade: a host that still holds nodes cannot be removed.
        .addColumn('host', 'text', (c) => c.notNull().references('hosts.name'))
        .addPrimaryKeyConstraint('pk_placements', ['cluster_id', 'idx'])
        .execute();
      await db.schema.createIndex('ix_placements_host').on('placements').column('host').execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('placements').ifExists().execute();
      await db.schema.dropTable('hosts').ifExists().execute();
    },
  };
}
