import type { Kysely, Migration } from 'kysely';

/**
 * Adds `accounts.registry_quota_bytes`: the account's registry storage quota; NULL means the
 * server's default (CARINA_DEFAULT_REGISTRY_QUOTA_GIB), so changing the default reaches every
 * account that was never given its own.
 */
export function registryQuotaMigration(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('accounts').addColumn('registry_quota_bytes', 'bigint').execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('accounts').dropColumn('registry_quota_bytes').execute();
    },
  };
}
