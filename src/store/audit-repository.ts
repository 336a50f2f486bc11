import type { Selectable } from 'kysely';
import { CarinaError, ErrorCode } from '../core/errors.js';
import type { AuditEntry, AuditRepository } from '../core/ports.js';
import { nowIso, type AuditTable, type StoreContext } from './database.js';
import { isForeignKeyViolation } from './sql-errors.js';

/** How many entries `list` returns when the caller does not say. */
export const DEFAULT_AUDIT_LIMIT = 1000;

function toAuditEntry(row: Selectable<AuditTable>): AuditEntry {
  return {
    id: Number(row.id),
    clusterId: row.cluster_id,
    at: new Date(row.at),
    account: row.account,
    method: row.method,
    path: row.path,
    status: Number(row.status),
    certSerial: row.cert_serial,
    deniedCode: row.denied_code,
  };
}

/** A cluster's gateway audit log, backed by the `audit` table. */
export function createAuditRepository(ctx: StoreContext): AuditRepository {
  const { db } = ctx;
  return {
    async append(entry) {
      const row = {
        cluster_id: entry.clusterId,
        at: nowIso(ctx),
        account: entry.account,
        method: entry.method,
        path: entry.path,
        status: entry.status,
        cert_serial: entry.certSerial,
        denied_code: entry.deniedCode,
      };
      try {
        const { id } = await db.insertInto('audit').values(row).returning('id').executeTakeFirstOrThrow();
        return toAuditEntry({ id, ...row });
      } catch (err) {
        if (isForeignKeyViolation(err)) {
          throw new CarinaError(ErrorCode.CLUSTER_NOT_FOUND, `cluster ${entry.clusterId} not found`, { cause: err, details: { id: entry.clusterId } });
        }
        throw err;
      }
    },

    async list(clusterId, options = {}) {
      const limit = Math.max(0, Math.trunc(options.limit ?? DEFAULT_AUDIT_LIMIT));
      let query = db.selectFrom('audit').selectAll().where('cluster_id', '=', clusterId);
      if (options.afterId !== undefined) query = query.where('id', '>', options.afterId);
      const rows = await query.orderBy('id').limit(limit).execute();
      return rows.map(toAuditEntry);
    },

    async pruneBefore(cutoff) {
      // `at` is an ISO-8601 UTC string of fixed width: text order is time order, in both dialects.
      const result = await db.deleteFrom('audit').where('at', '<', cutoff.toISOString()).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
