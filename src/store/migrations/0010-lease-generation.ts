import type { Kysely, Migration } from 'kysely';

/**
 * Adds `leases.generation`, raised each time a lease changes hands or is taken again after it
 * lapsed: the fencing token a leader's writes carry, so that a leader paused past its lease cannot
 * finish, after it resumes, what it started under the old one.
 */
export function leaseGenerationMigration(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('leases').addColumn('generation', 'integer', (c) => c.notNull().defaultTo(0)).execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('leases').dropColumn('generation').execute();
    },
  };
}
