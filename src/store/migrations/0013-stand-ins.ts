import type { Kysely, Migration } from 'kysely';

/**
 * Adds `placements.stand_in` (issue 13): 1 marks a node placed beyond its cluster's count for as long
 * as nodes move off a draining host — it joins first, so the cluster keeps its count of working nodes
 * while each node is moved (docs/multi-host.md, "Draining a host"). 0 for every other placement.
 */
export function standInsMigration(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('placements').addColumn('stand_in', 'integer', (c) => c.notNull().defaultTo(0)).execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('placements').dropColumn('stand_in').execute();
    },
  };
}
