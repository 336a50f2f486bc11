import { CarinaError, ErrorCode } from '../core/errors.js';
import type { AccountRepository } from '../core/ports.js';
import type { Account } from '../core/types.js';
import { nowIso, type StoreContext } from './database.js';
import { lockAccount } from './row-locks.js';
import { toAccount } from './row-mapping.js';
import { isForeignKeyViolation, uniqueViolation } from './sql-errors.js';

function accountNotFound(id: string): CarinaError {
  return new CarinaError(ErrorCode.ACCOUNT_NOT_FOUND, `account ${id} not found`, { details: { id } });
}

function stillHasClusters(account: string, count?: number): CarinaError {
  const clusters = count === undefined ? 'clusters' : count === 1 ? '1 cluster' : `${count} clusters`;
  return new CarinaError(ErrorCode.INVALID_STATE, `account ${account} still has ${clusters}: delete the clusters first`, {
    details: { account, ...(count !== undefined && { clusters: count }) },
  });
}

/** Accounts backed by the `accounts` table. */
export function createAccountRepository(ctx: StoreContext): AccountRepository {
  const { db } = ctx;

  const findById = async (id: string): Promise<Account | undefined> => {
    const row = await db.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toAccount(row);
  };

  return {
    async create(input) {
      const row = {
        id: input.id,
        name: input.name,
        key_hash: input.keyHash,
        quota_clusters: input.quotaClusters,
        quota_nodes: input.quotaNodes,
        registry_quota_bytes: null,
        created_at: nowIso(ctx),
      };
      try {
        await db.insertInto('accounts').values(row).execute();
      } catch (err) {
        if (uniqueViolation(err) === 'account-name') {
          throw new CarinaError(ErrorCode.ACCOUNT_EXISTS, `account "${input.name}" already exists`, {
            cause: err,
            details: { name: input.name },
          });
        }
        throw err;
      }
      return toAccount(row);
    },

    async findByName(name) {
      const row = await db.selectFrom('accounts').selectAll().where('name', '=', name).executeTakeFirst();
      return row && toAccount(row);
    },

    findById,

    async list() {
      const rows = await db.selectFrom('accounts').selectAll().orderBy('name').execute();
      return rows.map(toAccount);
    },

    async updateKeyHash(id, keyHash) {
      const result = await db.updateTable('accounts').set({ key_hash: keyHash }).where('id', '=', id).executeTakeFirst();
      if (result.numUpdatedRows === 0n) throw accountNotFound(id);
    },

    async setQuota(id, quota) {
      const columns = {
        ...(quota.clusters !== undefined && { quota_clusters: quota.clusters }),
        ...(quota.nodes !== undefined && { quota_nodes: quota.nodes }),
        ...(quota.registryBytes !== undefined && { registry_quota_bytes: quota.registryBytes }),
      };
      if (Object.keys(columns).length > 0) {
        await db.updateTable('accounts').set(columns).where('id', '=', id).execute();
      }
      const account = await findById(id);
      if (account === undefined) throw accountNotFound(id);
      return account;
    },

    /** Deleting an account that does not exist is a no-op; one that still has clusters is refused. */
    async delete(id) {
      try {
        await db.transaction().execute(async (trx) => {
          const account = await lockAccount(trx, ctx.dialect, id);
          if (account === undefined) return;
          const { count } = await trx
            .selectFrom('clusters')
            .select((eb) => eb.fn.countAll().as('count'))
            .where('account_id', '=', id)
            .executeTakeFirstOrThrow();
          if (Number(count) > 0) throw stillHasClusters(`"${account.name}"`, Number(count));
          await trx.deleteFrom('accounts').where('id', '=', id).execute();
        });
      } catch (err) {
        // A cluster inserted by another process between the count and the delete.
        if (isForeignKeyViolation(err)) throw stillHasClusters(id);
        throw err;
      }
    },
  };
}
