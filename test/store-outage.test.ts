import { execFileSync } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from './support/api-client.js';
import { dockerWithBundle, extractBundle } from './support/docker-cli.js';
import { countLabelled, TestServer } from './support/server.js';

// The store goes away (issue 15, part 3): a PostgreSQL of this test's own is stopped outright for
// 20 s while the control plane runs. The API answers 503 CARINA_ERR_STORE_UNAVAILABLE with
// Retry-After (never a bare 500), /healthz says so, the leader stops reconciling but its gateway
// keeps serving the cluster it holds the keys of, and when the store is back everything resumes
// with nothing accepted lost and nothing half-built.
const PG_BIN = (() => {
  try {
    const versions = readdirSync('/usr/lib/postgresql').sort((a, b) => Number(a) - Number(b));
    return versions.length > 0 ? join('/usr/lib/postgresql', versions.at(-1) ?? '', 'bin') : undefined;
  } catch {
    return undefined;
  }
})();
const OUTAGE_MS = 20_000;
const LEASE_TTL_MS = 6_000;

/** A PostgreSQL of this test's own, so stopping it disturbs no other test. */
class OwnPostgres {
  readonly dir = mkdtempSync(join(tmpdir(), 'carina-e2e-pg-'));
  // Below the kernel's ephemeral ports (32768 and up), which an outgoing connection may hold when it restarts.
  readonly port = 17000 + (process.pid % 1000);
  #pg(...args: string[]): void {
    execFileSync('su', ['postgres', '-c', [join(PG_BIN ?? '', 'pg_ctl'), ...args].join(' ')], { stdio: 'pipe' });
  }
  init(): void {
    chownSync(this.dir, Number(execFileSync('id', ['-u', 'postgres']).toString()), Number(execFileSync('id', ['-g', 'postgres']).toString()));
    execFileSync('su', ['postgres', '-c', `${join(PG_BIN ?? '', 'initdb')} -D ${this.dir}/data -A trust -U carina`], { stdio: 'pipe' });
  }
  start(): void {
    this.#pg('-D', `${this.dir}/data`, '-w', '-l', `${this.dir}/log`, '-o', `"-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1"`, 'start');
  }
  /** As a crash or a lost machine would: no clean shutdown of the clients' sessions. */
  stop(): void {
    this.#pg('-D', `${this.dir}/data`, '-m', 'immediate', '-w', 'stop');
  }
  get url(): string {
    return `postgres://carina@127.0.0.1:${this.port}/postgres`;
  }
  remove(): void {
    try {
      this.stop();
    } catch {
      /* not running */
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

describe.skipIf(PG_BIN === undefined)('the store goes away for 20 s (PostgreSQL stopped outright)', () => {
  const pg = new OwnPostgres();
  let server: TestServer;
  let api: ApiClient;
  let bundleDir = '';

  beforeAll(async () => {
    pg.init();
    pg.start();
    server = new TestServer('outage', { env: { CARINA_DATABASE_URL: pg.url, CARINA_LEASE_TTL_MS: String(LEASE_TTL_MS) } });
    await server.start();
    api = new ApiClient(server.url, await server.createAccount('alice'));
  });
  afterAll(async () => {
    await server?.cleanup();
    pg.remove();
  });

  it('a cluster is active and driven through its gateway before the outage', async () => {
    expect((await api.request('POST', '/v1/clusters', { name: 'before', nodes: 1 })).status).toBe(202);
    await api.waitFor('before', (c) => c.status === 'active' && c.nodes_ready === 1);
    bundleDir = (await extractBundle((await api.request('GET', '/v1/clusters/before/credentials')).body as Buffer)).dir;
    expect((await dockerWithBundle(bundleDir, ['node', 'ls', '--format', '{{.Status}}'])).trim()).toBe('Ready');
  });

  it('during the outage: 503 STORE_UNAVAILABLE with Retry-After on every route, /healthz says so, the gateway keeps serving', async () => {
    pg.stop();
    const stoppedAt = Date.now();
    try {
      for (const [method, path, body] of [
        ['GET', '/v1/clusters', undefined],
        ['GET', '/v1/clusters/before', undefined],
        ['POST', '/v1/clusters', { name: 'during', nodes: 1 }],
        ['DELETE', '/v1/clusters/before', undefined],
      ] as const) {
        const res = await api.request(method, path, body);
        expect(res.status, `${method} ${path}`).toBe(503);
        expect(res.body).toMatchObject({ error: { code: 'CARINA_ERR_STORE_UNAVAILABLE' } });
        expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      }
      const health = await server.fetch(`${server.url}/healthz`);
      expect(health.status).toBe(503);
      expect(await health.json()).toMatchObject({ error: { code: 'CARINA_ERR_STORE_UNAVAILABLE' } });
      // Past the lease: the leader suspended its reconciler; the gateway still answers with the keys it holds.
      await sleep(LEASE_TTL_MS + 1_000);
      expect((await dockerWithBundle(bundleDir, ['node', 'ls', '--format', '{{.Status}}'])).trim()).toBe('Ready');
      expect((await dockerWithBundle(bundleDir, ['run', '--rm', 'carina/busybox', 'echo', 'still here'])).trim()).toBe('still here');
      await sleep(Math.max(0, OUTAGE_MS - (Date.now() - stoppedAt)));
    } finally {
      pg.start();
    }
    expect(server.keptLog + (await import('node:fs')).readFileSync(server.logFile, 'utf8')).toMatch(/suspends reconciling/);
  });

  it('after it: the API answers again, the reconciler resumes, a new create is built, nothing refused was kept', async () => {
    const deadline = Date.now() + 30_000;
    while ((await server.fetch(`${server.url}/healthz`)).status !== 200) {
      expect(Date.now()).toBeLessThan(deadline);
      await sleep(250);
    }
    const list = await api.request('GET', '/v1/clusters');
    expect(list.status).toBe(200);
    // The create refused during the outage left nothing; the cluster from before is as it was.
    expect((list.body as { clusters: Array<{ name: string; status: string }> }).clusters.map((c) => [c.name, c.status])).toEqual([['before', 'active']]);
    expect((await api.request('POST', '/v1/clusters', { name: 'after', nodes: 1 })).status).toBe(202);
    await api.waitFor('after', (c) => c.status === 'active' && c.nodes_ready === 1, 120_000);
    for (const name of ['before', 'after']) {
      const id = ((await api.request('GET', `/v1/clusters/${name}`)).body as { id: string }).id;
      expect((await api.request('DELETE', `/v1/clusters/${name}`)).status).toBe(202);
      await api.waitGone(name);
      expect(await countLabelled(`carina.cluster.id=${id}`)).toEqual({ containers: 0, volumes: 0, networks: 0 });
    }
  });
});

describe('the SQLite disk fills up, then has room again', () => {
  const mount = mkdtempSync(join(tmpdir(), 'carina-e2e-full-'));
  let server: TestServer;
  let api: ApiClient;

  beforeAll(async () => {
    // The database alone on a small file system of its own, so filling it disturbs nothing else.
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=24m,mode=0700', 'tmpfs', mount]);
    server = new TestServer('diskfull', { env: { CARINA_DATABASE_URL: `sqlite:${join(mount, 'carina.db')}` } });
    await server.start();
    api = new ApiClient(server.url, await server.createAccount('alice'));
  });
  afterAll(async () => {
    await server?.cleanup();
    execFileSync('umount', ['-l', mount]);
    rmSync(mount, { recursive: true, force: true });
  });

  it('writes answer 503 STORE_UNAVAILABLE while the disk is full, reads still answer, and writes work again once there is room', async () => {
    const filler = join(mount, 'filler');
    // `dd` stops with "No space left on device": exactly the state wanted.
    try {
      execFileSync('dd', ['if=/dev/zero', `of=${filler}`, 'bs=1M'], { stdio: 'pipe' });
    } catch {
      /* full */
    }
    let refused: Awaited<ReturnType<ApiClient['request']>> | undefined;
    // SQLite may still fit a few pages in its WAL: a handful of creates fill the last of them.
    for (let i = 0; i < 20; i++) {
      refused = await api.request('POST', '/v1/clusters', { name: `full${i}`, nodes: 1 });
      if (refused.status !== 202) break;
      await api.request('DELETE', `/v1/clusters/full${i}`);
    }
    expect(refused?.status).toBe(503);
    expect(refused?.body).toMatchObject({ error: { code: 'CARINA_ERR_STORE_UNAVAILABLE' } });
    expect(Number(refused?.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await api.request('GET', '/v1/clusters')).status).toBe(200);
    rmSync(filler);
    const created = await api.request('POST', '/v1/clusters', { name: 'roomy', nodes: 1 });
    expect(created.status).toBe(202);
    await api.waitFor('roomy', (c) => c.status === 'active' && c.nodes_ready === 1, 120_000);
    // What was refused was not kept: no half-created cluster named full… is left active.
    const names = ((await api.request('GET', '/v1/clusters')).body as { clusters: Array<{ name: string; status: string }> }).clusters.filter((c) => c.status !== 'deleting').map((c) => c.name);
    expect(names).toEqual(['roomy']);
  });
});
