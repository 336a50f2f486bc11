import { sql, type Kysely, type Migration } from 'kysely';
import type { DialectKind } from '../database.js';

/**
 * The columns of `clusters` that `GET /v1/clusters` shows (the presenter's fields); a change of any
 * other column (`failures`, or SQLite's row lock, which rewrites `updated_at` with itself) leaves
 * the list as it was. Frozen with this migration: showing another column needs a new one.
 */
const LISTED = ['id', 'account_id', 'name', 'flavor', 'node_count', 'autoscale', 'status', 'status_reason', 'port', 'created_at', 'updated_at'] as const;
/** The columns of `nodes` whose change can change a cluster's Ready count. */
const NODE_LISTED = ['cluster_id', 'status'] as const;

const changed = (columns: readonly string[]) => `(${columns.map((c) => `OLD.${c}`).join(', ')}) IS DISTINCT FROM (${columns.map((c) => `NEW.${c}`).join(', ')})`;
const bump = (account: string) => `UPDATE accounts SET list_version = list_version + 1 WHERE id = ${account}`;
const accountOfNode = (row: 'OLD' | 'NEW') => `(SELECT account_id FROM clusters WHERE id = ${row}.cluster_id)`;

/**
 * Adds `accounts.list_version`, raised by triggers in the database on every insert, delete and
 * listed change of the account's clusters and of their nodes: whoever writes (this replica, another
 * replica, the reconciler, an operator's SQL), the version moves in the same transaction as the
 * rows. An API replica reads it with one primary-key lookup to know whether a list it answered
 * before still holds. A bigint: it only ever grows. In PostgreSQL the bump holds the account row's
 * lock until the writer commits, so writes to one account's clusters commit one after the other;
 * every transaction of the store writes one cluster (or creates one under the account's own
 * lock), so no two wait on each other.
 */
export function listVersionMigration(dialect: DialectKind): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('accounts').addColumn('list_version', 'bigint', (c) => c.notNull().defaultTo(0)).execute();
      if (dialect === 'postgres') {
        // One function per table, three triggers each: PostgreSQL's WHEN may name OLD only on UPDATE.
        await sql
          .raw(
            `CREATE OR REPLACE FUNCTION carina_cluster_list_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN ${bump('OLD.account_id')}; END IF;
  IF TG_OP <> 'DELETE' AND (TG_OP = 'INSERT' OR NEW.account_id <> OLD.account_id) THEN ${bump('NEW.account_id')}; END IF;
  RETURN NULL;
END $$`,
          )
          .execute(db);
        await sql
          .raw(
            `CREATE OR REPLACE FUNCTION carina_node_list_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN ${bump(accountOfNode('OLD'))}; END IF;
  IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.cluster_id <> OLD.cluster_id) THEN ${bump(accountOfNode('NEW'))}; END IF;
  RETURN NULL;
END $$`,
          )
          .execute(db);
        for (const [table, fn, columns] of [
          ['clusters', 'carina_cluster_list_version', LISTED],
          ['nodes', 'carina_node_list_version', NODE_LISTED],
        ] as const) {
          await sql.raw(`CREATE TRIGGER ${table}_list_version_insert AFTER INSERT ON ${table} FOR EACH ROW EXECUTE FUNCTION ${fn}()`).execute(db);
          await sql.raw(`CREATE TRIGGER ${table}_list_version_delete AFTER DELETE ON ${table} FOR EACH ROW EXECUTE FUNCTION ${fn}()`).execute(db);
          await sql.raw(`CREATE TRIGGER ${table}_list_version_update AFTER UPDATE ON ${table} FOR EACH ROW WHEN (${changed(columns)}) EXECUTE FUNCTION ${fn}()`).execute(db);
        }
        return;
      }
      // SQLite: row values compare with IS NOT (NULL-safe), as IS DISTINCT FROM does in PostgreSQL.
      const sqliteChanged = (columns: readonly string[]) => changed(columns).replace('IS DISTINCT FROM', 'IS NOT');
      const statements = [
        `CREATE TRIGGER clusters_list_version_insert AFTER INSERT ON clusters BEGIN ${bump('NEW.account_id')}; END`,
        `CREATE TRIGGER clusters_list_version_delete AFTER DELETE ON clusters BEGIN ${bump('OLD.account_id')}; END`,
        `CREATE TRIGGER clusters_list_version_update AFTER UPDATE ON clusters WHEN ${sqliteChanged(LISTED)} BEGIN ${bump('OLD.account_id')}; ${bump('NEW.account_id')} AND NEW.account_id <> OLD.account_id; END`,
        `CREATE TRIGGER nodes_list_version_insert AFTER INSERT ON nodes BEGIN ${bump(accountOfNode('NEW'))}; END`,
        `CREATE TRIGGER nodes_list_version_delete AFTER DELETE ON nodes BEGIN ${bump(accountOfNode('OLD'))}; END`,
        `CREATE TRIGGER nodes_list_version_update AFTER UPDATE ON nodes WHEN ${sqliteChanged(NODE_LISTED)} BEGIN ${bump(accountOfNode('OLD'))}; ${bump(accountOfNode('NEW'))} AND NEW.cluster_id <> OLD.cluster_id; END`,
      ];
      for (const statement of statements) await sql.raw(statement).execute(db);
    },
    async down(db: Kysely<unknown>): Promise<void> {
      for (const table of ['clusters', 'nodes']) {
        for (const op of ['insert', 'delete', 'update']) await sql.raw(`DROP TRIGGER IF EXISTS ${table}_list_version_${op}${dialect === 'postgres' ? ` ON ${table}` : ''}`).execute(db);
      }
      if (dialect === 'postgres') await sql.raw('DROP FUNCTION IF EXISTS carina_cluster_list_version(), carina_node_list_version()').execute(db);
      await db.schema.alterTable('accounts').dropColumn('list_version').execute();
    },
  };
}
