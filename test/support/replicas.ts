import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import type { TestServer } from './server.js';

/** Runs `fn` with a client of the PostgreSQL at `url`, closed afterwards. */
export async function withPostgres<T>(url: string | undefined, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Runs one statement on the PostgreSQL at `url` (CREATE/DROP DATABASE for a test's own store). */
export async function onPostgres(url: string | undefined, sql: string): Promise<void> {
  await withPostgres(url, (client) => client.query(sql));
}

/** The role the lease in the store gives a running replica, as the operator sees it: /healthz tells anyone only "ok". */
export async function roleOf(server: TestServer): Promise<string> {
  return new RegExp(`^\\S+:${server.port} leads since `).test(await server.admin('leader')) ? 'leader' : 'standby';
}

/** Waits until `server` has `role`; answers how long that took. */
export async function waitForRole(server: TestServer, role: string, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if ((await roleOf(server).catch(() => '')) === role) return Date.now() - started;
    await sleep(100);
  }
  throw new Error(`${server.url} did not become ${role} within ${timeoutMs / 1000} s`);
}
