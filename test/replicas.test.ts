import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from './support/api-client.js';
import { dockerWithBundle, extractBundle } from './support/docker-cli.js';
import { onPostgres, roleOf, waitForRole } from './support/replicas.js';
import { TestServer, countLabelled } from './support/server.js';

// Two control-plane replicas on one PostgreSQL store (and one data dir and engine): both serve the
// API, the holder of the control-plane lease reconciles and serves the gateways, and when it is
// killed the other takes over. Needs CARINA_TEST_POSTGRES_URL (CI runs a PostgreSQL for it).
const postgresUrl = process.env.CARINA_TEST_POSTGRES_URL;
const LEASE_TTL_MS = 4_000;

describe.skipIf(!postgresUrl)('two control-plane replicas on one PostgreSQL store', () => {
  const database = `carina_e2e_replicas_${process.pid}`;
  let a: TestServer;
  let b: TestServer;
  let viaA: ApiClient;
  let viaB: ApiClient;
  let bundleDir = '';

  beforeAll(async () => {
    await onPostgres(postgresUrl, `DROP DATABASE IF EXISTS ${database}`);
    await onPostgres(postgresUrl, `CREATE DATABASE ${database}`);
    const url = new URL(postgresUrl ?? '');
    url.pathname = `/${database}`;
    // The periodic pass is made rare (10 min), so what the leader does for the standby's writes can
    // only come from the kicks the standby leaves in the store.
    a = new TestServer('replicas', { env: { CARINA_DATABASE_URL: url.toString(), CARINA_LEASE_TTL_MS: String(LEASE_TTL_MS), CARINA_RECONCILE_INTERVAL_MS: '600000' } });
    b = new TestServer('replicas', { replicaOf: a });
    await a.start();
    await waitForRole(a, 'leader', 10_000);
    await b.start();
    const key = await a.createAccount('alice');
    viaA = new ApiClient(a.url, key);
    viaB = new ApiClient(b.url, key);
  });
  afterAll(async () => {
    await b?.cleanup();
    await a?.cleanup();
    await onPostgres(postgresUrl, `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => undefined);
  });

  it('the first replica leads and the second stands by', async () => {
    expect(await roleOf(a)).toBe('leader');
    expect(await roleOf(b)).toBe('standby');
  });

  it('a cluster created through the standby is built by the leader at once and driven through its gateway', async () => {
    const started = Date.now();
    const res = await viaB.request('POST', '/v1/clusters', { name: 'ha', nodes: 1 });
    expect(res.status).toBe(202);
    const active = await viaB.waitFor('ha', (c) => c.status === 'active', 120_000);
    console.log(`replicas: 1-node create through the standby → active in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    expect(active.nodes_ready).toBe(1);
    expect((await viaA.request('GET', '/v1/clusters/ha')).body).toMatchObject({ status: 'active', nodes_ready: 1 });
    const bundle = await viaB.request('GET', '/v1/clusters/ha/credentials');
    bundleDir = (await extractBundle(bundle.body as Buffer)).dir;
    expect((await dockerWithBundle(bundleDir, ['node', 'ls', '--format', '{{.Status}}'])).trim()).toBe('Ready');
  });

  it('when the leader is killed, the standby takes over within the lease: it grows the cluster and serves its gateway', async () => {
    await a.kill();
    const tookMs = await waitForRole(b, 'leader', LEASE_TTL_MS * 3);
    console.log(`replicas: leader killed → standby leads in ${(tookMs / 1000).toFixed(1)} s (lease ${LEASE_TTL_MS / 1000} s)`);
    expect(await b.admin('leader')).toMatch(new RegExp(`^\\S+:${b.port} leads since `));
    // The same bundle works: the new leader listens on the cluster's port.
    expect((await dockerWithBundle(bundleDir, ['node', 'ls', '--format', '{{.Status}}'])).trim()).toBe('Ready');
    expect((await viaB.request('POST', '/v1/clusters/ha/grow', { by: 1 })).status).toBe(202);
    const grown = await viaB.waitFor('ha', (c) => c.status === 'active' && c.nodes_ready === 2, 120_000);
    expect(grown.nodes).toBe(2);
    expect((await dockerWithBundle(bundleDir, ['node', 'ls', '--format', '{{.Status}}'])).trim().split('\n')).toEqual(['Ready', 'Ready']);
  });

  it('the killed replica comes back as a standby, and deletes through it leave nothing behind', async () => {
    await a.start();
    expect(await roleOf(a)).toBe('standby');
    expect(await roleOf(b)).toBe('leader');
    const id = ((await viaA.request('GET', '/v1/clusters/ha')).body as { id: string }).id;
    expect((await viaA.request('DELETE', '/v1/clusters/ha')).status).toBe(202);
    await viaA.waitGone('ha', 60_000);
    expect(await countLabelled(`carina.cluster.id=${id}`)).toEqual({ containers: 0, volumes: 0, networks: 0 });
  });

  it('throttles key guessing across replicas: wrong keys sent to either count together', async () => {
    const accountId = viaA.key?.split('_')[1] ?? '';
    const guess = (i: number) => new ApiClient(i % 2 === 0 ? a.url : b.url, `carina_${accountId}_${`guess${i}`.padEnd(32, 'x')}`).request('GET', '/v1/clusters');
    // 5 wrong keys to each replica: neither alone has seen 10.
    for (let i = 0; i < 10; i++) expect((await guess(i)).status).toBe(401);
    for (const i of [10, 11]) {
      const refused = await guess(i);
      expect(refused.status).toBe(429);
      expect(refused.body.error.code).toBe('CARINA_ERR_RATE_LIMITED');
    }
    expect((await viaA.request('GET', '/v1/quotas')).status).toBe(200); // the real key still works
  });

  it('a clean stop of the leader hands over at once, without waiting for the lease to expire', async () => {
    await b.stop();
    const tookMs = await waitForRole(a, 'leader', LEASE_TTL_MS);
    console.log(`replicas: leader stopped → standby leads in ${(tookMs / 1000).toFixed(1)} s`);
    expect(tookMs).toBeLessThan(LEASE_TTL_MS);
  });
});
