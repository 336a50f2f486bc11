import type { Kysely } from 'kysely';
import { CarinaError, ErrorCode } from '../core/errors.js';
import type { NewCluster } from '../core/ports.js';
import type { Cluster } from '../core/types.js';
import { eventsCommitted, nowIso, type Database, type StoreContext } from './database.js';
import { announceEvents } from './event-commits.js';
import { lockEventOrder } from './event-order.js';
import { lockAccount } from './row-locks.js';
import { pkiColumns, selectClusters, toCluster } from './row-mapping.js';
import { uniqueViolation } from './sql-errors.js';
import { allocatePort, type PortRange } from './port-allocation.js';
import { ShellTakenError } from '../core/warm-pool.js';

// Two creates in different accounts may pick the same port at once; the loser retries with a fresh view.
const PORT_RACE_ATTEMPTS = 10;

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function clusterExists(name: string, cause?: unknown): CarinaError {
  return new CarinaError(ErrorCode.CLUSTER_EXISTS, `cluster "${name}" already exists`, { cause, details: { name } });
}

/** Deletes the ready warm shell `id` and answers its port; ShellTakenError when it is not there (another create took it). */
async function takeShell(trx: Kysely<Database>, id: string): Promise<number> {
  const shell = await trx.deleteFrom('warm_shells').where('id', '=', id).where('ready', '=', 1).returning('port').executeTakeFirst();
  if (shell === undefined) throw new ShellTakenError(id);
  return Number(shell.port);
}

/** One attempt: every check and the insert in a single transaction, with the account row locked. */
async function attempt(ctx: StoreContext, input: NewCluster, range: PortRange): Promise<Cluster> {
  return ctx.db.transaction().execute(async (trx) => {
    const account = await lockAccount(trx, ctx.dialect, input.accountId);
    if (account === undefined) {
      throw new CarinaError(ErrorCode.ACCOUNT_NOT_FOUND, `account ${input.accountId} not found`, {
        details: { id: input.accountId },
      });
    }
    const existing = await trx
      .selectFrom('clusters')
      .select('id')
      .where('account_id', '=', input.accountId)
      .where('name', '=', input.name)
      .executeTakeFirst();
    if (existing !== undefined) throw clusterExists(input.name);

    const quotaNodes = Number(account.quota_nodes);
    if (input.nodeCount > quotaNodes) {
      throw new CarinaError(
        ErrorCode.QUOTA_EXCEEDED,
        `at most ${plural(quotaNodes, 'node')} per cluster (asked for ${input.nodeCount}): ask an operator to raise the quota`,
        { details: { quotaNodes, requested: input.nodeCount } },
      );
    }
    const { count } = await trx
      .selectFrom('clusters')
      .select((eb) => eb.fn.countAll().as('count'))
      .where('account_id', '=', input.accountId)
      .executeTakeFirstOrThrow();
    const inUse = Number(count);
    const quotaClusters = Number(account.quota_clusters);
    if (inUse >= quotaClusters) {
      throw new CarinaError(
        ErrorCode.QUOTA_EXCEEDED,
        `quota of ${plural(quotaClusters, 'cluster')} reached (${inUse} in use): delete a cluster or ask an operator to raise the quota`,
        { details: { quotaClusters, inUse } },
      );
    }

    const port = input.fromShell ? await takeShell(trx, input.id) : await allocatePort(trx, ctx.dialect, range);
    const now = nowIso(ctx);
    await trx
      .insertInto('clusters')
      .values({
        id: input.id,
        account_id: input.accountId,
        name: input.name,
        flavor: input.flavor,
        node_count: input.nodeCount,
        autoscale: input.autoscale ? 1 : 0,
        status: 'new',
        status_reason: null,
        port,
        failures: 0,
        created_at: now,
        updated_at: now,
      })
      .execute();
    // All or nothing: a store that fails half way (disk full, connection lost) leaves no cluster without its keys.
    if (input.pki) await trx.insertInto('cluster_pki').values({ cluster_id: input.id, ...pkiColumns(input.pki, ctx.sealer) }).execute();
    if (input.createdEvent !== undefined) {
      await lockEventOrder(trx, ctx.dialect); // last write of the transaction: see ./event-order.ts
      await trx.insertInto('events').values({ cluster_id: input.id, at: now, type: 'created', message: input.createdEvent }).execute();
      await announceEvents(trx, ctx);
    }
    return toCluster(await selectClusters(trx).where('clusters.id', '=', input.id).executeTakeFirstOrThrow());
  });
}

/** Inserts a cluster within the account's quotas on the lowest free port of `range` (or its warm shell's), atomically. */
export async function createWithinQuota(ctx: StoreContext, input: NewCluster, range: PortRange): Promise<Cluster> {
  if (!Number.isInteger(range.from) || !Number.isInteger(range.to) || range.from > range.to) {
    throw new CarinaError(ErrorCode.VALIDATION, `invalid port range ${range.from}-${range.to}`);
  }
  for (let tries = 1; ; tries += 1) {
    try {
      const created = await attempt(ctx, input, range);
      if (input.createdEvent !== undefined) eventsCommitted(ctx);
      return created;
    } catch (err) {
      const rule = uniqueViolation(err);
      if (rule === 'cluster-name') throw clusterExists(input.name, err);
      if (rule !== 'cluster-port' || tries >= PORT_RACE_ATTEMPTS) throw err;
    }
  }
}
