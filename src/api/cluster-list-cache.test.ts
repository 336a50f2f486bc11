import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { Store } from '../core/ports.js';
import { openStore } from '../store/open-store.js';
import { describeStoreContract } from '../store/test-support/store-contract.js';
import type { ClusterList } from '../wire/cluster-schemas.js';
import { generateApiKey, hashApiKey } from './api-keys.js';
import { buildApi } from './app.js';
import { stubClusterService } from './test-support/stub-cluster-service.js';

// GET /v1/clusters answers from a cache of serialised pages: every write that changes a page must
// show in the next answer, whoever makes it — this API, the reconciler, or another replica on the
// same database — and an unchanged list must not be read from the store again.
const ACCOUNT = 'a1b2c3d4e5f60718';
const limits = { headersTimeoutMs: 5_000, requestTimeoutMs: 5_000, maxConnections: 0, maxConnectionsPerAddress: 0 };

describeStoreContract('GET /v1/clusters from its page cache', (h) => {
  let app: FastifyInstance;
  let replica: Store;
  let key = '';
  let pageReads = 0;

  beforeEach(async () => {
    key = generateApiKey(ACCOUNT);
    await h.store.accounts.create({ id: ACCOUNT, name: 'lia', keyHash: await hashApiKey(key), quotaClusters: 20, quotaNodes: 10 });
    // The API's store counts the page reads; the replica is a second store on the same database.
    const counted: Store = { ...h.store, clusters: { ...h.store.clusters, listByAccount: (...args) => (pageReads++, h.store.clusters.listByAccount(...args)) } };
    const clusters = stubClusterService(counted, { ports: { from: 40000, to: 40099 } });
    app = await buildApi({ store: counted, clusters, advertiseAddress: '127.0.0.1', version: 'test', log: () => undefined, limits });
    replica = await openStore({ url: h.url });
    pageReads = 0;
  });
  afterEach(async () => {
    await app.close();
    await replica.close();
  });

  const call = (method: 'POST' | 'PUT' | 'DELETE' | 'GET', url: string, payload?: object) => app.inject({ method, url, payload, headers: { authorization: `Bearer ${key}` } });
  const list = async (query = '') => {
    const res = await call('GET', `/v1/clusters${query}`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    return res.json<ClusterList>();
  };
  const shown = async () => (await list()).clusters.map((c) => `${c.name}:${c.status}:${c.nodes}:${c.nodes_ready}:${c.autoscale}`);
  const idOf = async (name: string) => (await h.store.clusters.get(ACCOUNT, name))?.id ?? '';

  it('reads an unchanged list from the store once, and answers the same bytes again', async () => {
    expect((await call('POST', '/v1/clusters', { name: 'web', nodes: 2 })).statusCode).toBe(202);
    const first = await call('GET', '/v1/clusters');
    const second = await call('GET', '/v1/clusters');
    expect(second.body).toBe(first.body);
    expect(pageReads).toBe(1);
    // Another page is another entry.
    expect((await list('?limit=1')).clusters).toHaveLength(1);
    expect(pageReads).toBe(2);
  });

  it('shows every kind of write at once: create, grow, resize, autoscale, delete through the API', async () => {
    expect(await shown()).toEqual([]);
    await call('POST', '/v1/clusters', { name: 'web', nodes: 2 });
    await call('POST', '/v1/clusters', { name: 'db' });
    expect(await shown()).toEqual(['db:new:1:0:false', 'web:new:2:0:false']);
    await h.store.clusters.transition(await idOf('web'), 'start');
    await h.store.clusters.transition(await idOf('web'), 'ready');
    expect((await call('POST', '/v1/clusters/web/grow', { by: 1 })).statusCode).toBe(202);
    expect(await shown()).toEqual(['db:new:1:0:false', 'web:growing:3:0:false']);
    await h.store.clusters.transition(await idOf('web'), 'ready');
    expect((await call('PUT', '/v1/clusters/web/nodes', { count: 2 })).statusCode).toBe(202);
    expect(await shown()).toEqual(['db:new:1:0:false', 'web:shrinking:2:0:false']);
    expect((await call('PUT', '/v1/clusters/db/autoscale', { enabled: true })).statusCode).toBe(200);
    expect(await shown()).toEqual(['db:new:1:0:true', 'web:shrinking:2:0:false']);
    expect((await call('DELETE', '/v1/clusters/db')).statusCode).toBe(202);
    expect(await shown()).toEqual(['db:deleting:1:0:true', 'web:shrinking:2:0:false']);
    await h.store.clusters.delete(await idOf('db')); // the reconciler removes the record last
    expect(await shown()).toEqual(['web:shrinking:2:0:false']);
  });

  it("shows the reconciler's and another replica's writes to the shared database at once", async () => {
    await call('POST', '/v1/clusters', { name: 'web', nodes: 2 });
    expect(await shown()).toEqual(['web:new:2:0:false']);
    const id = await idOf('web');
    await replica.clusters.transition(id, 'start');
    expect(await shown()).toEqual(['web:building:2:0:false']);
    const node = (index: number, status: string) => ({ clusterId: id, index, role: index === 0 ? ('manager' as const) : ('worker' as const), containerId: null, address: null, status });
    await replica.clusters.replaceNodes(id, [node(0, 'ready'), node(1, 'starting')]);
    expect(await shown()).toEqual(['web:building:2:1:false']);
    await replica.clusters.replaceNodes(id, [node(0, 'ready'), node(1, 'ready')]);
    await replica.clusters.transition(id, 'ready');
    expect(await shown()).toEqual(['web:active:2:2:false']);
    await replica.clusters.transition(id, 'fail', { statusReason: 'the engine went away' });
    expect((await list()).clusters[0]).toMatchObject({ status: 'error', status_reason: 'the engine went away' });
    await replica.clusters.createWithinQuota({ id: 'from-replica', accountId: ACCOUNT, name: 'api', flavor: 'container1-4G', nodeCount: 1, autoscale: false }, { from: 40100, to: 40199 });
    expect(await shown()).toEqual(['api:new:1:0:false', 'web:error:2:2:false']);
    await replica.clusters.delete('from-replica');
    expect(await shown()).toEqual(['web:error:2:2:false']);
  });

  it('keeps pages and the cursor consistent across a write between pages', async () => {
    for (const name of ['a1', 'a2', 'a3']) await call('POST', '/v1/clusters', { name });
    const first = await list('?limit=2');
    expect([first.clusters.map((c) => c.name), first.next]).toEqual([['a1', 'a2'], 'a2']);
    expect((await list('?limit=2&after=a2')).clusters.map((c) => c.name)).toEqual(['a3']);
    await replica.clusters.createWithinQuota({ id: 'late', accountId: ACCOUNT, name: 'a25', flavor: 'container1-4G', nodeCount: 1, autoscale: false }, { from: 40100, to: 40199 });
    expect((await list('?limit=2&after=a2')).clusters.map((c) => c.name)).toEqual(['a25', 'a3']);
    expect((await list('?limit=2')).next).toBe('a2');
  });
});
