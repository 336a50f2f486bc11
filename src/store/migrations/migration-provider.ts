import { DEFAULT_MIGRATION_TABLE, Migrator, sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import { CarinaError, ErrorCode, describeCause } from '../../core/errors.js';
import type { DialectKind } from '../database.js';
import { initialMigration } from './0001-initial.js';
import { auditMigration } from './0002-audit.js';
import { sessionsMigration } from './0003-sessions.js';
import { leasesMigration } from './0004-leases.js';
import { pkiVersionMigration } from './0005-pki-version.js';
import { kicksMigration } from './0006-kicks.js';
import { authFailuresMigration } from './0007-auth-failures.js';
import { registryQuotaMigration } from './0008-registry-quota.js';
import { hostsMigration } from './0009-hosts.js';
import { leaseGenerationMigration } from './0010-lease-generation.js';
import { listVersionMigration } from './0011-list-version.js';
import { warmShellsMigration } from './0012-warm-shells.js';
import { standInsMigration } from './0013-stand-ins.js';
import { pkiVersionsIndexMigration } from './0014-pki-versions-index.js';

/** Every migration, keyed by its version name (applied in name order; never rename or edit a shipped one). */
export function storeMigrations(dialect: DialectKind): Record<string, Migration> {
  return {
    '0001_initial': initialMigration(dialect),
    '0002_audit': auditMigration(dialect),
    '0003_sessions': sessionsMigration(),
    '0004_leases': leasesMigration(),
    '0005_pki_version': pkiVersionMigration(),
    '0006_kicks': kicksMigration(),
    '0007_auth_failures': authFailuresMigration(),
    '0008_registry_quota': registryQuotaMigration(),
    '0009_hosts': hostsMigration(),
    '0010_lease_generation': leaseGenerationMigration(),
    '0011_list_version': listVersionMigration(dialect),
    '0012_warm_shells': warmShellsMigration(),
    '0013_stand_ins': standInsMigration(),
    '0014_pki_versions_index': pkiVersionsIndexMigration(),
  };
}

/** In-code migration provider: no filesystem scanning, so it works the same from src/ and dist/. */
export function migrationProvider(dialect: DialectKind): MigrationProvider {
  return { getMigrations: () => Promise.resolve(storeMigrations(dialect)) };
}

/** Brings the schema to the latest version; a no-op when it already is. */
export async function migrateToLatest<DB>(db: Kysely<DB>, dialect: DialectKind): Promise<void> {
  const unknown = await unknownMigrations(db, dialect, storeMigrations(dialect));
  if (unknown.length > 0) {
    throw new CarinaError(
      ErrorCode.INTERNAL,
      `the database was brought to its schema by a newer version of Carina (it has migration${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}, which this version does not know): run that version or a later one; this one would misread it, so it leaves it as it is`,
    );
  }
  const migrator = new Migrator({ db, provider: migrationProvider(dialect) });
  const { error, results } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new CarinaError(ErrorCode.INTERNAL, `database migration ${failed} failed: ${describeCause(error)}`, { cause: error });
  }
}

/**
 * The migrations the database has run that `known` does not name (a newer Carina's): none on a new
 * database. The table is looked for where the Migrator keeps it: PostgreSQL's current schema.
 */
async function unknownMigrations<DB>(db: Kysely<DB>, dialect: DialectKind, known: Record<string, Migration>): Promise<string[]> {
  const schema = dialect === 'postgres' ? (await sql<{ schema: string }>`SELECT current_schema() AS schema`.execute(db)).rows[0]?.schema : undefined;
  const tables = await db.introspection.getTables({ withInternalKyselyTables: true });
  if (!tables.some((t) => t.name === DEFAULT_MIGRATION_TABLE && t.schema === schema)) return [];
  const { rows } = await sql<{ name: string }>`SELECT name FROM ${sql.table(DEFAULT_MIGRATION_TABLE)}`.execute(db);
  return rows.map((r) => r.name).filter((name) => !Object.hasOwn(known, name)).sort();
}
