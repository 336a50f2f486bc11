import { chmodSync, closeSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, PostgresDialect, type Dialect, type SqliteDialectConfig } from 'kysely';
import { FifoSqliteDialect } from './fifo-sqlite-dialect.js';
import { CarinaError, ErrorCode } from '../core/errors.js';
import type { Log } from '../core/log.js';
import type { Clock, Store } from '../core/ports.js';
import { createAccountRepository } from './account-repository.js';
import { createAuditRepository } from './audit-repository.js';
import { createSessionRepository } from './session-repository.js';
import { createLeaseRepository } from './lease-repository.js';
import { createKickRepository } from './kick-repository.js';
import { createAuthFailureRepository } from './auth-failure-repository.js';
import { createClusterRepository } from './cluster-repository.js';
import { createHostRepository } from './host-repository.js';
import { createWarmShellRepository } from './warm-shell-repository.js';
import type { Database, DialectKind, StoreContext } from './database.js';
import { EventCommits, type OpenCommitChannel } from './event-commits.js';
import { createEventRepository } from './event-repository.js';
import { migrateToLatest } from './migrations/migration-provider.js';
import { createKeySealer, isSealed, PLAINTEXT, SEALED_PREFIX } from './key-sealer.js';
import { guardStore } from './outage.js';
import { PgCommitChannel } from './pg-commit-channel.js';

/** Where the store lives: `sqlite:/abs/path.db`, `sqlite::memory:` or `postgres://…` / `postgresql://…`. */
export interface StoreOptions {
  readonly url: string;
  /** Source of timestamps; the system clock by default. */
  readonly clock?: Clock;
  /**
   * 32 bytes that seal the clusters' private keys (AES-256-GCM); keys stored in plaintext before
   * are sealed when the store opens. Without it keys are stored in plaintext (tests, benchmarks),
   * and sealed ones cannot be read.
   */
  readonly secretKey?: Buffer;
  /** Told the repository (`clusters`, `events`…) of each call that failed as STORE_UNAVAILABLE (metrics). */
  readonly onOutage?: (repository: string) => void;
  /** Where the store says what goes wrong in the background (on PostgreSQL: hearing other replicas' events). */
  readonly log?: Log;
}

/** A store location parsed from its URL. */
export type StoreLocation = { readonly dialect: 'sqlite'; readonly path: string } | { readonly dialect: 'postgres'; readonly connectionString: string };

const SYSTEM_CLOCK: Clock = { now: () => new Date() };

/** Parses a store URL; throws VALIDATION for anything else. */
export function parseStoreUrl(url: string): StoreLocation {
  if (/^postgres(ql)?:\/\//i.test(url)) return { dialect: 'postgres', connectionString: url };
  if (url.startsWith('sqlite:')) {
    // Accept `sqlite:/abs/path.db` as well as the URL-style `sqlite:///abs/path.db`.
    const path = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (path.length > 0) return { dialect: 'sqlite', path };
  }
  throw new CarinaError(
    ErrorCode.VALIDATION,
    `unsupported store url "${url.replace(/\/\/[^@/]*@/, '//***@')}": use sqlite:/path/to/file.db, sqlite::memory: or postgres://user:password@host/db`,
    { details: { field: 'url' } },
  );
}

/** How to talk to the database, and on PostgreSQL how to hear other replicas' commits of events. */
async function createDialect(location: StoreLocation, log: Log): Promise<{ dialect: Dialect; channel?: OpenCommitChannel }> {
  if (location.dialect === 'postgres') {
    // Loaded only when used: the driver is ≈3 MiB of the control plane's memory.
    const { default: pg } = await import('pg');
    // A bounded wait for a connection: a database that does not answer fails the query in 5 s
    // (STORE_UNAVAILABLE) rather than holding it until the kernel gives up on the socket.
    // A transaction left open by a process that stopped talking (SIGSTOP, a frozen VM) holds its row
    // locks — the lease row's too, which a standby must update to take over: PostgreSQL ends it after 5 s.
    const pool = new pg.Pool({ connectionString: location.connectionString, connectionTimeoutMillis: 5_000, idle_in_transaction_session_timeout: 5_000 });
    // An idle connection the server dropped (PostgreSQL restarted or stopped) is an 'error' event on the
    // pool, which would end the process if nobody listened: the pool discards that client and the
    // next query connects anew (its own failure, if any, is what callers see).
    pool.on('error', () => undefined);
    // …and so is a checked-out client's (between the queries of a transaction): its next query fails
    // with "not queryable", which callers see as STORE_UNAVAILABLE; the event itself must not end the process.
    pool.on('connect', (client) => client.on('error', () => undefined));
    // Other replicas' commits of events: one more connection, LISTENing (./pg-commit-channel.ts).
    const client = () => new pg.Client({ connectionString: location.connectionString, connectionTimeoutMillis: 5_000, keepAlive: true, keepAliveInitialDelayMillis: 10_000 });
    const channel: OpenCommitChannel = (self, signal) => new PgCommitChannel({ client, self, signal, log });
    return { dialect: new PostgresDialect({ pool }), channel };
  }
  if (location.path !== ':memory:') makePrivate(location.path);
  const database = new SqliteDatabase(location.path);
  database.pragma('journal_mode = WAL');
  database.pragma('foreign_keys = ON');
  database.pragma('busy_timeout = 5000');
  return { dialect: new FifoSqliteDialect({ database: reusingStatements(database) }) };
}

/**
 * Makes the database file 0600 before SQLite opens it (creating it so if new), and its WAL and
 * shared-memory files if they exist: sessions, CSRF tokens and the audit log are in them. SQLite
 * gives the -wal and -shm files it makes later the database file's mode.
 */
function makePrivate(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  closeSync(openSync(path, 'a', 0o600));
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    try {
      if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
}

/**
 * better-sqlite3 with its prepared statements kept by SQL text: Kysely asks to prepare every query
 * it runs, and the same few hundred texts come back all the time (a list page prepared 2 statements
 * per request). Safe because Kysely runs one query at a time on its one connection.
 */
function reusingStatements(database: SqliteDatabase.Database): SqliteDialectConfig['database'] {
  const statements = new Map<string, SqliteDatabase.Statement>();
  return {
    close: () => database.close(),
    prepare(sql: string) {
      let statement = statements.get(sql);
      if (!statement) {
        if (statements.size >= 1_000) statements.clear(); // `IN (…)` lists of every length: keep it bounded
        statement = database.prepare(sql);
        statements.set(sql, statement);
      }
      return statement;
    },
  };
}

/**
 * Seals the private keys of rows written before keys were sealed (one row at a time, each update
 * conditional on the row being unchanged, so replicas opening the store together agree).
 */
async function sealPlaintextKeys(ctx: StoreContext): Promise<void> {
  const rows = await ctx.db
    .selectFrom('cluster_pki')
    .select(['cluster_id', 'ca_key', 'server_key', 'client_key'])
    .where((eb) => eb.or([eb('ca_key', 'not like', `${SEALED_PREFIX}%`), eb('server_key', 'not like', `${SEALED_PREFIX}%`), eb('client_key', 'not like', `${SEALED_PREFIX}%`)]))
    .execute();
  for (const row of rows) {
    const seal = (v: string) => (isSealed(v) ? v : ctx.sealer.seal(v));
    await ctx.db
      .updateTable('cluster_pki')
      .set({ ca_key: seal(row.ca_key), server_key: seal(row.server_key), client_key: seal(row.client_key) })
      .where('cluster_id', '=', row.cluster_id)
      .where('ca_key', '=', row.ca_key)
      .where('server_key', '=', row.server_key)
      .where('client_key', '=', row.client_key)
      .execute();
  }
}

/** Opens (creating if needed) and migrates the store at `options.url`. */
export async function openStore(options: StoreOptions): Promise<Store> {
  const location = parseStoreUrl(options.url);
  const dialect: DialectKind = location.dialect;
  const connection = await createDialect(location, options.log ?? (() => undefined));
  const db = new Kysely<Database>({ dialect: connection.dialect });
  const eventCommits = new EventCommits(connection.channel);
  const ctx: StoreContext = { db, dialect, clock: options.clock ?? SYSTEM_CLOCK, sealer: options.secretKey ? createKeySealer(options.secretKey) : PLAINTEXT, eventCommits };
  try {
    await migrateToLatest(db, dialect);
    if (options.secretKey) await sealPlaintextKeys(ctx);
  } catch (err) {
    await db.destroy();
    throw err;
  }
  let closing: Promise<void> | undefined;
  const fenced: Store['fenced'] = (fence) =>
    guardStore({ clusters: createClusterRepository({ ...ctx, fence }), events: createEventRepository({ ...ctx, fence }) }, options.onOutage);
  return guardStore<Store>({
    accounts: createAccountRepository(ctx),
    clusters: createClusterRepository(ctx),
    events: createEventRepository(ctx),
    audit: createAuditRepository(ctx),
    sessions: createSessionRepository(ctx),
    leases: createLeaseRepository(ctx),
    kicks: createKickRepository(ctx),
    authFailures: createAuthFailureRepository(ctx),
    hosts: createHostRepository(ctx),
    warmShells: createWarmShellRepository(ctx),
    // The leader's view: the same repositories on a context whose writes check the fence (fencing.ts).
    fenced,
    close: () => (closing ??= Promise.all([eventCommits.close(), db.destroy()]).then(() => undefined)),
  }, options.onOutage);
}
