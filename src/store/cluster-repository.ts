import type { Kysely } from 'kysely';
import type { ClusterRepository } from '../core/ports.js';
import type { Cluster } from '../core/types.js';
import { createWithinQuota } from './cluster-create.js';
import { clusterNotFound, growCluster, resizeCluster, transitionCluster } from './cluster-transition.js';
import { nowIso, type Database, type StoreContext } from './database.js';
import { checkFence, fencedWrite } from './fencing.js';
import { lockCluster } from './row-locks.js';
import { nodeRow, patchColumns, pkiColumns, selectClusters, toCluster, toNode, toPki, toStatus } from './row-mapping.js';
import { isForeignKeyViolation } from './sql-errors.js';

async function mustGet(db: Kysely<Database>, id: string): Promise<Cluster> {
  const row = await selectClusters(db).where('clusters.id', '=', id).executeTakeFirst();
  if (row === undefined) throw clusterNotFound(id);
  return toCluster(row);
}

/** Clusters with their nodes and key material, backed by `clusters`, `nodes` and `cluster_pki`. */
export function createClusterRepository(ctx: StoreContext): ClusterRepository {
  const { db } = ctx;

  const fleetVersion = async (): Promise<string> => {
    const row = await db
      .selectFrom('accounts')
      .select((eb) => [eb.fn.coalesce(eb.fn.sum<number | string>('list_version'), eb.lit(0)).as('versions'), eb.fn.countAll().as('accounts')])
      .executeTakeFirstOrThrow();
    return `${row.versions}/${row.accounts}`;
  };
  return {
    createWithinQuota: (input, portRange) => createWithinQuota(ctx, input, portRange),

    async get(accountId, name) {
      const row = await selectClusters(db)
        .where('clusters.account_id', '=', accountId)
        .where('clusters.name', '=', name)
        .executeTakeFirst();
      return row && toCluster(row);
    },

    async getById(id) {
      const row = await selectClusters(db).where('clusters.id', '=', id).executeTakeFirst();
      return row && toCluster(row);
    },

    async listByAccount(accountId, page) {
      let query = selectClusters(db).where('clusters.account_id', '=', accountId);
      if (page?.after !== undefined) query = query.where('clusters.name', '>', page.after);
      if (page) query = query.limit(page.limit);
      return (await query.orderBy('clusters.name').execute()).map(toCluster);
    },

    async listAll() {
      const rows = await selectClusters(db).orderBy('accounts.name').orderBy('clusters.name').execute();
      return rows.map(toCluster);
    },

    async listAutoscaled() {
      const rows = await selectClusters(db).where('clusters.autoscale', '=', 1).orderBy('accounts.name').orderBy('clusters.name').execute();
      return rows.map(toCluster);
    },

    async listIds(filter) {
      let query = db.selectFrom('clusters').select('id');
      if (filter?.except !== undefined) query = query.where('status', '<>', filter.except);
      return (await query.orderBy('id').execute()).map((r) => r.id);
    },

    async countByAccount(accountId) {
      const { count } = await db
        .selectFrom('clusters')
        .select((eb) => eb.fn.countAll().as('count'))
        .where('account_id', '=', accountId)
        .executeTakeFirstOrThrow();
      return Number(count);
    },

    transition: (id, trigger, patch = {}) => transitionCluster(ctx, id, trigger, () => patch),

    grow: (id, by, maxNodes) => growCluster(ctx, id, by, maxNodes),
    resize: (id, count, maxNodes) => resizeCluster(ctx, id, count, maxNodes),

    async update(id, patch) {
      const result = await fencedWrite(ctx, (w) =>
        w
          .updateTable('clusters')
          .set({ ...patchColumns(patch), updated_at: nowIso(ctx) })
          .where('id', '=', id)
          .executeTakeFirst(),
      );
      if (result.numUpdatedRows === 0n) throw clusterNotFound(id);
      return mustGet(db, id);
    },

    /** Deleting a cluster that does not exist is a no-op. */
    async delete(id) {
      await db.transaction().execute(async (trx) => {
        await checkFence(trx, ctx);
        await trx.deleteFrom('events').where('cluster_id', '=', id).execute();
        await trx.deleteFrom('audit').where('cluster_id', '=', id).execute();
        await trx.deleteFrom('nodes').where('cluster_id', '=', id).execute();
        await trx.deleteFrom('cluster_pki').where('cluster_id', '=', id).execute();
        await trx.deleteFrom('clusters').where('id', '=', id).execute();
      });
    },

    async putPki(id, pki) {
      const columns = pkiColumns(pki, ctx.sealer);
      try {
        await fencedWrite(ctx, (w) =>
          w
            .insertInto('cluster_pki')
            .values({ cluster_id: id, ...columns })
            .onConflict((oc) => oc.column('cluster_id').doUpdateSet((eb) => ({ ...columns, version: eb(eb.ref('cluster_pki.version'), '+', 1) })))
            .execute(),
        );
      } catch (err) {
        if (isForeignKeyViolation(err)) throw clusterNotFound(id, err);
        throw err;
      }
    },

    async listEndpoints() {
      // Two reads, not a join: SQLite joins through cluster_pki's primary key and then reads each
      // row, key material and all, for its version (42 ms at 10,000 clusters); the table read alone
      // is answered by the (cluster_id, version) index (0014), 17 ms for both.
      const [clusters, pki] = await Promise.all([
        db.selectFrom('clusters').select(['id', 'status']).execute(),
        db.selectFrom('cluster_pki').select(['cluster_id', 'version']).execute(),
      ]);
      const versions = new Map(pki.map((r) => [r.cluster_id, Number(r.version)]));
      return clusters.map((r) => ({ id: r.id, status: toStatus(r.status), pkiVersion: versions.get(r.id) }));
    },

    async getPki(id) {
      const row = await db.selectFrom('cluster_pki').selectAll().where('cluster_id', '=', id).executeTakeFirst();
      return row && toPki(row, ctx.sealer);
    },

    async replaceNodes(id, nodes) {
      await db.transaction().execute(async (trx) => {
        await checkFence(trx, ctx);
        const cluster = await lockCluster(trx, ctx.dialect, id);
        if (cluster === undefined) throw clusterNotFound(id);
        await trx.deleteFrom('nodes').where('cluster_id', '=', id).execute();
        if (nodes.length > 0) await trx.insertInto('nodes').values(nodes.map((n) => nodeRow(id, n))).execute();
      });
    },

    async listNodes(id) {
      const rows = await db.selectFrom('nodes').selectAll().where('cluster_id', '=', id).orderBy('idx').execute();
      return rows.map(toNode);
    },
    async listVersion(accountId) {
      const row = await db.selectFrom('accounts').select('list_version').where('id', '=', accountId).executeTakeFirst();
      return row === undefined ? 0 : Number(row.list_version);
    },

    async countReadyNodes(clusterIds) {
      const ready = new Map<string, number>(clusterIds.map((id) => [id, 0]));
      if (clusterIds.length === 0) return ready;
      const rows = await db
        .selectFrom('nodes')
        .select((eb) => ['cluster_id', eb.fn.countAll().as('ready')])
        .where('cluster_id', 'in', clusterIds)
        .where('status', '=', 'ready')
        .groupBy('cluster_id')
        .execute();
      for (const row of rows) ready.set(row.cluster_id, Number(row.ready));
      return ready;
    },

    async countByStatus() {
      const rows = await db.selectFrom('clusters').select((eb) => ['status', eb.fn.countAll().as('count')]).groupBy('status').execute();
      return new Map(rows.map((r) => [toStatus(r.status), Number(r.count)]));
    },

    fleetVersion,

    async endpointsVersion() {
      const pki = await db
        .selectFrom('cluster_pki')
        .select((eb) => [eb.fn.coalesce(eb.fn.sum<number | string>('version'), eb.lit(0)).as('versions'), eb.fn.countAll().as('rows')])
        .executeTakeFirstOrThrow();
      return `${await fleetVersion()}/${pki.versions}/${pki.rows}`;
    },

    async countNodesByState() {
      const rows = await db.selectFrom('nodes').select((eb) => ['status', eb.fn.countAll().as('count')]).groupBy('status').execute();
      return new Map(rows.map((r) => [r.status, Number(r.count)]));
    },
  };
}
