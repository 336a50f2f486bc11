import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { onPostgres, waitForRole } from './replicas.js';
import { TestServer } from './server.js';

/**
 * What a chaos run (test/support/chaos.ts) crashes: one control plane on SQLite, or two replicas on
 * one PostgreSQL whose leader is killed. Either way the API and the cluster endpoints stay where
 * they were: every replica answers the API, and the leader serves the gateways on the ports the
 * bundles name (the replicas share the port range), so a bundle reaches whoever leads.
 */
export interface ChaosTarget {
  /** What it is, for the figures ("SQLite, one control plane" …). */
  readonly description: string;
  /** Base URLs of the API; any one answers for the whole control plane. */
  readonly apiUrls: readonly string[];
  /** Chooses whom the next crash kills and says whom; called before the point's operation, so the seeded delay stays the moment of the kill. */
  aim(): Promise<string>;
  /** `kill -9`s what aim() chose and starts it again. */
  crash(): Promise<void>;
  /** Creates an account (prefix `chaos`) and answers its API key. */
  createAccount(name: string, ...flags: string[]): Promise<string>;
  /** Kills everything, removes its Docker objects and its database. */
  cleanup(): Promise<void>;
}

/** One control plane on SQLite, killed after every point. */
export async function sqliteTarget(): Promise<ChaosTarget> {
  const server = new TestServer('chaos');
  await server.start();
  return {
    description: 'SQLite, one control plane killed',
    apiUrls: [server.url],
    aim: () => Promise.resolve('the control plane'),
    crash: async () => {
      await server.kill();
      await server.start({}, 120_000);
    },
    createAccount: (name, ...flags) => server.createAccount(name, ...flags),
    cleanup: () => server.cleanup(),
  };
}

const LEASE_TTL_MS = 3_000;

/**
 * Two replicas on a database of their own on the PostgreSQL at `postgresUrl`; each crash kills the
 * replica that leads (as `carina-server leader` says) and starts it again — it comes back as the
 * standby, or leads again if it retakes its lease before the other takes it over.
 */
export async function postgresReplicasTarget(postgresUrl: string): Promise<ChaosTarget> {
  const database = `chaos_pg_${process.pid}`;
  await onPostgres(postgresUrl, `DROP DATABASE IF EXISTS ${database}`);
  await onPostgres(postgresUrl, `CREATE DATABASE ${database}`);
  const url = new URL(postgresUrl);
  url.pathname = `/${database}`;
  const a = new TestServer('chaos-pg', { env: { CARINA_DATABASE_URL: url.toString(), CARINA_LEASE_TTL_MS: String(LEASE_TTL_MS) } });
  const b = new TestServer('chaos-pg', { replicaOf: a });
  const replicas = [a, b] as const;
  let aimed: TestServer | undefined;
  try {
    await a.start();
    await waitForRole(a, 'leader', 10_000);
    await b.start();
  } catch (e) {
    await b.cleanup();
    await a.cleanup();
    throw e;
  }
  // The lease as `carina-server leader` (roleOf) reads it, but over one connection: that command
  // costs 2–4 s a call on a loaded 2-core machine, which would push every kill seconds late.
  const leases = new pg.Client({ connectionString: url.toString() });
  await leases.connect();
  /** The replica that leads now; waits (a lease may be changing hands after the last crash). */
  async function leader(): Promise<TestServer> {
    const deadline = Date.now() + LEASE_TTL_MS * 10;
    for (;;) {
      const { rows } = await leases.query<{ holder: string; expires_at: string | Date }>(`SELECT holder, expires_at FROM leases WHERE name = 'control-plane'`);
      const lease = rows[0];
      const holder = lease && new Date(lease.expires_at).getTime() > Date.now() ? lease.holder : '';
      const r = replicas.find((x) => holder.endsWith(`:${x.port}`));
      if (r) return r;
      if (Date.now() > deadline) throw new Error(`no replica leads within ${(LEASE_TTL_MS * 10) / 1000} s`);
      await sleep(200);
    }
  }
  return {
    description: 'PostgreSQL, two replicas, leader killed',
    apiUrls: replicas.map((r) => r.url),
    aim: async () => {
      aimed = await leader();
      return `the leader (:${aimed.port})`;
    },
    crash: async () => {
      const victim = aimed ?? (await leader());
      aimed = undefined;
      await victim.kill();
      // A loaded 2-core machine has taken over 30 s to start a replica (seen once at 18:00 with load 11).
      await victim.start({}, 120_000);
    },
    createAccount: (name, ...flags) => a.createAccount(name, ...flags),
    cleanup: async () => {
      await leases.end().catch(() => undefined);
      await b.cleanup();
      await a.cleanup();
      await onPostgres(postgresUrl, `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => undefined);
    },
  };
}
