import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import pg from 'pg';
import { afterAll, afterEach, beforeEach, describe } from 'vitest';
import type { Clock, NewCluster, Store } from '../../core/ports.js';
import type { Account, Cluster } from '../../core/types.js';
import { openStore, parseStoreUrl } from '../open-store.js';

/**
 * The harness of the Store contract suites: every suite runs once per implementation of the Store
 * port (SQLite always; PostgreSQL when CARINA_TEST_POSTGRES_URL is set, as in CI), each test on an
 * empty, freshly migrated database, with a clock the test moves.
 */
const tempDir = mkdtempSync(join(tmpdir(), 'carina-store-'));
let fileCounter = 0;
afterAll(() => rmSync(tempDir, { recursive: true, force: true }));

const postgresUrl = process.env['CARINA_TEST_POSTGRES_URL'];

/** Drops every table so that each test starts from an empty, freshly migrated database. */
async function resetPostgres(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(
      'DROP TABLE IF EXISTS warm_shells, placements, hosts, auth_failures, kicks, leases, sessions, audit, events, nodes, cluster_pki, clusters, accounts, kysely_migration, kysely_migration_lock CASCADE',
    );
  } finally {
    await client.end();
  }
}

/**
 * Runs one statement on the database at `url` past the store, as an operator's SQL would: the rows
 * it returns (none for a write). Parameters are written `$1`, `$2`… for both databases.
 */
export async function rawQuery(url: string, text: string, params: readonly unknown[] = []): Promise<Record<string, unknown>[]> {
  const location = parseStoreUrl(url);
  if (location.dialect === 'sqlite') {
    const db = new SqliteDatabase(location.path);
    try {
      const statement = db.prepare(text.replace(/\$\d+/g, '?'));
      if (!statement.reader) {
        statement.run(...params);
        return [];
      }
      return statement.all(...params) as Record<string, unknown>[];
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: location.connectionString });
  await client.connect();
  try {
    return (await client.query<Record<string, unknown>>(text, [...params])).rows;
  } finally {
    await client.end();
  }
}

interface Variant {
  readonly name: string;
  readonly skip: boolean;
  /** A URL of an empty store. */
  fresh(): Promise<string>;
}

const VARIANTS: Variant[] = [
  { name: 'sqlite', skip: false, fresh: () => Promise.resolve(`sqlite:${join(tempDir, `store-${++fileCounter}.db`)}`) },
  {
    name: 'postgres',
    skip: postgresUrl === undefined,
    fresh: async () => {
      await resetPostgres(postgresUrl ?? '');
      return postgresUrl ?? '';
    },
  },
];

/** The port range clusters of the contract tests are allocated from. */
export const RANGE = Object.freeze({ from: 20000, to: 20099 });

/** What a contract test works with; `store` and `url` are fresh for each test. */
export interface StoreHarness {
  store: Store;
  readonly url: string;
  /** The store clock's time (ms since the epoch); starts at 2030-01-02T03:04:05.678Z. */
  readonly now: () => number;
  readonly advance: (ms: number) => void;
  readonly account: (name: string, quota?: { clusters: number; nodes: number }) => Promise<Account>;
  readonly input: (accountId: string, name: string, extra?: Partial<NewCluster>) => NewCluster;
  readonly cluster: (accountId: string, name: string, range?: { from: number; to: number }) => Promise<Cluster>;
}

/** Declares `body`'s tests once per Store implementation. */
export function describeStoreContract(title: string, body: (h: StoreHarness) => void): void {
  describe.each(VARIANTS)(`${title} ($name)`, (variant) => {
    describe.skipIf(variant.skip)('', () => {
      let url = '';
      let store: Store | undefined;
      let time = 0;
      let ids = 0;
      const clock: Clock = { now: () => new Date(time) };
      const h: StoreHarness = {
        get store(): Store {
          if (!store) throw new Error('the store is opened in beforeEach');
          return store;
        },
        set store(s: Store) {
          store = s;
        },
        get url() {
          return url;
        },
        now: () => time,
        advance: (ms) => {
          time += ms;
        },
        account: (name, quota = { clusters: 5, nodes: 5 }) =>
          h.store.accounts.create({ id: `acc-${name}`, name, keyHash: `hash-${name}`, quotaClusters: quota.clusters, quotaNodes: quota.nodes }),
        input: (accountId, name, extra = {}) => ({ id: `cl-${++ids}`, accountId, name, flavor: 'small', nodeCount: 1, autoscale: false, ...extra }),
        cluster: (accountId, name, range = RANGE) => h.store.clusters.createWithinQuota(h.input(accountId, name), range),
      };
      beforeEach(async () => {
        time = Date.parse('2030-01-02T03:04:05.678Z');
        url = await variant.fresh();
        store = await openStore({ url, clock });
      });
      afterEach(async () => {
        await store?.close();
      });
      body(h);
    });
  });
}
