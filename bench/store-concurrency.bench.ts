/**
 * Many store queries at once on SQLite: Kysely's own SQLite dialect against the store's
 * FifoSqliteDialect (src/store/fifo-sqlite-dialect.ts), the same query on the same kind of database
 * in one run. A control plane issues thousands at once when a pass touches every cluster (the
 * gateway opening 10,000 listeners when it takes the lead). Run with `npx tsx
 * bench/store-concurrency.bench.ts`; results go to bench/results/store-concurrency-*.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, sql, SqliteDialect, type Dialect } from 'kysely';
import { FifoSqliteDialect } from '../src/store/fifo-sqlite-dialect.js';

const RESULTS = new URL('results', import.meta.url).pathname;
const COUNTS = [1_000, 4_000, 10_000];

async function timeAtOnce(dialect: (database: SqliteDatabase.Database) => Dialect, n: number): Promise<number> {
  const db = new Kysely<unknown>({ dialect: dialect(new SqliteDatabase(':memory:')) });
  try {
    await sql`select 1`.execute(db); // warm-up
    const t0 = performance.now();
    await Promise.all(Array.from({ length: n }, () => sql`select 1 as one`.execute(db)));
    return performance.now() - t0;
  } finally {
    await db.destroy();
  }
}

const rows: { queries: number; kyselyMs: number; fifoMs: number }[] = [];
for (const n of COUNTS) {
  const fifoMs = await timeAtOnce((database) => new FifoSqliteDialect({ database }), n);
  const kyselyMs = await timeAtOnce((database) => new SqliteDialect({ database }), n);
  rows.push({ queries: n, kyselyMs: Math.round(kyselyMs), fifoMs: Math.round(fifoMs) });
  console.log(`${n} queries at once: Kysely's SQLite dialect ${kyselyMs.toFixed(0)} ms, FIFO lock ${fifoMs.toFixed(0)} ms`);
}
mkdirSync(RESULTS, { recursive: true });
const at = new Date().toISOString();
const file = `${RESULTS}/store-concurrency-${at.replace(/[:.]/g, '-')}.json`;
writeFileSync(file, `${JSON.stringify({ at, machine: { cpus: cpus().length, load: loadavg()[0] }, rows }, null, 2)}\n`);
console.log(`results: ${file}`);
