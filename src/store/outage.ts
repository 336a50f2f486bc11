import { CarinaError, describeCause, ErrorCode } from '../core/errors.js';
import type { Store } from '../core/ports.js';

/** How long clients are told to wait before trying again when the store is out. */
export const STORE_RETRY_AFTER_SECONDS = 5;

// PostgreSQL SQLSTATE classes and codes that mean "the database is not there", not "your query is wrong":
// 08 connection exception, 53 insufficient resources, 57P01-57P03 shutdown / cannot connect now, 58 system error.
const PG_OUTAGE = /^(08|53|57P0[1-3]|58)/;
// Node socket errors of a database that went away, and pg's own words for them.
const NET_OUTAGE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
const PG_MESSAGES = /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|Connection ended|the database system is (starting up|shutting down)/i;
// SQLite: a file that cannot be written (disk full, read-only, I/O error), opened, or locked for too long.
const SQLITE_OUTAGE = /^SQLITE_(FULL|IOERR|READONLY|CANTOPEN|BUSY|LOCKED|NOTADB|CORRUPT)/;
// SQLite rolls a transaction back by itself on SQLITE_FULL, _IOERR, _BUSY and _NOMEM; the rollback
// Kysely then sends fails with this, and that error is the one that comes out of the transaction.
const SQLITE_ABORTED = /cannot rollback - no transaction is active/;

/** Whether `err` says the store is unreachable or cannot write, rather than that a query was refused. */
export function isStoreOutage(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const { code, message } = err as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && (NET_OUTAGE.has(code) || SQLITE_OUTAGE.test(code) || (/^[0-9A-Z]{5}$/.test(code) && PG_OUTAGE.test(code)))) return true;
  if (typeof message === 'string' && (PG_MESSAGES.test(message) || SQLITE_ABORTED.test(message))) return true;
  const cause = (err as { cause?: unknown }).cause;
  return cause !== undefined && cause !== err && isStoreOutage(cause);
}

/** The error a caller sees for a store outage: a stable code, a message, Retry-After. */
export function storeUnavailable(cause: unknown): CarinaError {
  return new CarinaError(ErrorCode.STORE_UNAVAILABLE, `the store does not answer or cannot write (${describeCause(cause)}); nothing was changed: try again in a few seconds`, {
    cause,
    details: { retryAfterSeconds: STORE_RETRY_AFTER_SECONDS },
  });
}

/** `repository` with every method's outage turned into STORE_UNAVAILABLE (other errors pass unchanged), each told to `onOutage`. */
function guardRepository<T extends object>(repository: T, onOutage: () => void): T {
  const named = (e: unknown): unknown => {
    if (!isStoreOutage(e)) return e;
    onOutage();
    return storeUnavailable(e);
  };
  const guarded: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(repository)) {
    guarded[name] =
      typeof value === 'function'
        ? (...args: unknown[]) => {
            try {
              const result: unknown = (value as (...a: unknown[]) => unknown).apply(repository, args);
              return result instanceof Promise
                ? result.catch((e: unknown) => {
                    throw named(e);
                  })
                : result;
            } catch (e) {
              throw named(e);
            }
          }
        : value;
  }
  return guarded as T;
}

/**
 * The store with its outages named: every repository call that fails because the database is gone,
 * full or read-only throws CARINA_ERR_STORE_UNAVAILABLE (503 with Retry-After at the API) instead of
 * a driver error that would surface as a bare 500.
 */
export function guardStore<S extends Pick<Store, 'clusters' | 'events'>>(store: S, onOutage: (repository: string) => void = () => undefined): S {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(store)) {
    out[name] = typeof value === 'object' && value !== null ? guardRepository(value as object, () => onOutage(name)) : value;
  }
  return out as unknown as S;
}
