import type { Selectable } from 'kysely';
import { transition as nextStatus, type ClusterTrigger } from '../core/cluster-state.js';
import { CarinaError, ErrorCode } from '../core/errors.js';
import type { ClusterPatch, TransitionOutcome } from '../core/ports.js';
import { nowIso, type ClustersTable, type StoreContext } from './database.js';
import { checkFence } from './fencing.js';
import { lockCluster } from './row-locks.js';
import { patchColumns, selectClusters, toCluster, toStatus } from './row-mapping.js';

/** CLUSTER_NOT_FOUND for cluster `id`. */
export function clusterNotFound(id: string, cause?: unknown): CarinaError {
  return new CarinaError(ErrorCode.CLUSTER_NOT_FOUND, `cluster ${id} not found`, { cause, details: { id } });
}

/**
 * Locks the cluster, asks the state machine about `trigger` and, when allowed, writes the new status with
 * the patch `patchOf` computes from the locked row (it may throw to abort). All in one transaction.
 * Outside `error` the status reason is cleared unless the patch sets one; into `error` it is kept unless set.
 * A leader's view of the store checks its fence first, in the same transaction.
 */
export async function transitionCluster(
  ctx: StoreContext,
  id: string,
  trigger: ClusterTrigger,
  patchOf: (row: Selectable<ClustersTable>) => ClusterPatch = () => ({}),
): Promise<TransitionOutcome> {
  return ctx.db.transaction().execute(async (trx) => {
    await checkFence(trx, ctx);
    const row = await lockCluster(trx, ctx.dialect, id);
    if (row === undefined) throw clusterNotFound(id);
    const from = toStatus(row.status);
    const result = nextStatus(from, trigger);
    const reread = async () => toCluster(await selectClusters(trx).where('clusters.id', '=', id).executeTakeFirstOrThrow());
    if (!result.ok) return { ok: false, reason: result.reason, cluster: await reread() };
    const patch = patchOf(row);
    const statusReason =
      patch.statusReason !== undefined ? patch.statusReason : result.status === 'error' ? row.status_reason : null;
    await trx
      .updateTable('clusters')
      .set({ ...patchColumns(patch), status: result.status, status_reason: statusReason, updated_at: nowIso(ctx) })
      .where('id', '=', id)
      .execute();
    return { ok: true, cluster: await reread(), from };
  });
}

/** Adds `by` nodes to the desired count under the `grow` trigger; QUOTA_EXCEEDED past `maxNodes`. */
export async function growCluster(ctx: StoreContext, id: string, by: number, maxNodes: number): Promise<TransitionOutcome> {
  if (!Number.isInteger(by) || by < 1) {
    throw new CarinaError(ErrorCode.VALIDATION, `grow by a whole number of nodes, at least 1 (got ${by})`, {
      details: { field: 'by' },
    });
  }
  return await transitionCluster(ctx, id, 'grow', (row) => {
    const nodeCount = Number(row.node_count) + by;
    if (nodeCount > maxNodes) {
      throw new CarinaError(
        ErrorCode.QUOTA_EXCEEDED,
        `at most ${maxNodes} node${maxNodes === 1 ? '' : 's'} per cluster (growing ${Number(row.node_count)} by ${by} would make ${nodeCount}): ask an operator to raise the quota`,
        { details: { quotaNodes: maxNodes, requested: nodeCount } },
      );
    }
    return { nodeCount };
  });
}

/** Sets the desired count: more nodes → the `grow` trigger, fewer → `shrink`; one locked transaction. */
export async function resizeCluster(ctx: StoreContext, id: string, count: number, maxNodes: number): Promise<TransitionOutcome> {
  if (!Number.isInteger(count) || count < 1) {
    throw new CarinaError(ErrorCode.VALIDATION, `a cluster needs at least 1 node (got ${count})`, { details: { field: 'count' } });
  }
  if (count > maxNodes) {
    throw new CarinaError(ErrorCode.QUOTA_EXCEEDED, `at most ${maxNodes} node${maxNodes === 1 ? '' : 's'} per cluster: ask an operator to raise the quota`, {
      details: { quotaNodes: maxNodes, requested: count },
    });
  }
  const current = await ctx.db.selectFrom('clusters').select('node_count').where('id', '=', id).executeTakeFirst();
  if (current === undefined) throw clusterNotFound(id);
  const from = Number(current.node_count);
  if (count === from) {
    const cluster = toCluster(await selectClusters(ctx.db).where('clusters.id', '=', id).executeTakeFirstOrThrow());
    return { ok: false, reason: `the cluster already has ${count} node${count === 1 ? '' : 's'}`, cluster };
  }
  // The direction was read outside the lock; re-checked inside so a concurrent change can't flip it.
  return transitionCluster(ctx, id, count > from ? 'grow' : 'shrink', (row) => {
    if (Number(row.node_count) !== from) {
      throw new CarinaError(ErrorCode.INVALID_STATE, 'the cluster was resized concurrently: look at it again and retry');
    }
    return { nodeCount: count };
  });
}
