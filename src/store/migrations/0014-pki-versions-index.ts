import type { Kysely, Migration } from 'kysely';

/**
 * Indexes `cluster_pki (cluster_id, version)`. The gateway reads the sum of every version each
 * second (ClusterRepository.endpointsVersion) and the version of every cluster at each whole sync
 * (listEndpoints). `version` is the table's last column, after the PEM blobs, so without the index
 * both read every row's key material: SQLite follows each row's overflow pages to reach it
 * (16 ms a read at 10,000 clusters, most of an idle control plane's CPU). The index holds the two
 * columns alone and answers both reads (0.7 ms); BENCHMARKS.md, "Idle CPU at 10,000 clusters".
 */
export function pkiVersionsIndexMigration(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.createIndex('cluster_pki_versions').on('cluster_pki').columns(['cluster_id', 'version']).execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropIndex('cluster_pki_versions').execute();
    },
  };
}
