import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findFlavor } from '../core/flavors.js';
import type { Store } from '../core/ports.js';
import { openStore } from '../store/open-store.js';
import { generateApiKey, hashApiKey } from './api-keys.js';
import { buildApi } from './app.js';
import { stubClusterService } from './test-support/stub-cluster-service.js';

// Issue 13: with hosts registered, create, grow and resize put every new node on a host or refuse
// with CARINA_ERR_NO_CAPACITY before anything is stored; without hosts, nodes stay on the local engine.
const ACCOUNT = 'f0e1d2c3b4a59687';
const limits = { headersTimeoutMs: 5_000, requestTimeoutMs: 5_000, maxConnections: 0, maxConnectionsPerAddress: 0 };

describe('placement of new nodes on registered hosts', () => {
  let store: Store;
  let app: FastifyInstance;
  let key = '';
  const kicked: string[] = [];
  const flavor = findFlavor('container1-4G');
  if (!flavor) throw new Error('no container1-4G flavor');

  beforeAll(async () => {
    store = await openStore({ url: 'sqlite::memory:' });
    key = generateApiKey(ACCOUNT);
    await store.accounts.create({ id: ACCOUNT, name: 'pia', keyHash: await hashApiKey(key), quotaClusters: 5, quotaNodes: 10 });
    const clusters = stubClusterService(store, { ports: { from: 40000, to: 40099 }, scheduler: { kick: (id) => kicked.push(id) } });
    app = await buildApi({ store, clusters, advertiseAddress: '127.0.0.1', version: 'test', log: () => undefined, limits });
  });
  afterAll(async () => {
    await app.close();
    await store.close();
  });

  const call = (method: 'POST' | 'PUT' | 'GET', url: string, payload?: object) =>
    app.inject({ method, url, payload, headers: { authorization: `Bearer ${key}` } });
  /** Room for exactly `nodes` nodes of container1-4G on a host (memory is never overcommitted). */
  const addHost = async (name: string, nodes: number) => {
    const added = await store.hosts.add({ name, dockerHost: `tcp://10.0.0.${name.length}:2376`, tlsDir: '/nonexistent', allocatableNanoCpus: 64e9, allocatableMemoryBytes: nodes * flavor.memoryBytes });
    expect(added.ok).toBe(true);
  };
  const hostsOf = async (name: string) => {
    const cluster = (await call('GET', `/v1/clusters/${name}`)).json<{ id: string }>();
    return (await store.hosts.placementsOf(cluster.id)).map((p) => [p.index, p.host]);
  };

  it('leaves nodes on the local engine while no host is registered', async () => {
    expect((await call('POST', '/v1/clusters', { name: 'local', nodes: 2, flavor: 'container1-4G' })).statusCode).toBe(202);
    expect(await hostsOf('local')).toEqual([]);
  });

  it('spreads a new cluster over the hosts, one node per host while there are hosts to spare', async () => {
    await addHost('h-a', 2);
    await addHost('h-bb', 2);
    expect((await call('POST', '/v1/clusters', { name: 'spread', nodes: 2, flavor: 'container1-4G' })).statusCode).toBe(202);
    const placed = await hostsOf('spread');
    expect(placed.map(([, host]) => host).sort()).toEqual(['h-a', 'h-bb']);
  });

  it('refuses a cluster that does not fit with NO_CAPACITY, storing nothing', async () => {
    const res = await call('POST', '/v1/clusters', { name: 'toobig', nodes: 3, flavor: 'container1-4G' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ error: { code: 'CARINA_ERR_NO_CAPACITY' } });
    expect((await call('GET', '/v1/clusters/toobig')).statusCode).toBe(404);
    expect((await store.hosts.placedNodes()).length).toBe(2);
  });

  it('places the nodes a grow or a resize adds, and refuses one past the room left without changing the count', async () => {
    expect((await call('POST', '/v1/clusters/spread/grow', { by: 1 })).statusCode).toBe(202);
    expect((await hostsOf('spread')).length).toBe(3);
    const refused = await call('PUT', '/v1/clusters/spread/nodes', { count: 5 });
    expect([refused.statusCode, refused.json<{ error: { code: string } }>().error.code]).toEqual([503, 'CARINA_ERR_NO_CAPACITY']);
    expect((await call('GET', '/v1/clusters/spread')).json()).toMatchObject({ nodes: 3 });
    expect((await call('PUT', '/v1/clusters/spread/nodes', { count: 4 })).statusCode).toBe(202);
    expect((await hostsOf('spread')).map(([index]) => index)).toEqual([0, 1, 2, 3]);
  });

  it('keeps a cluster made before any host on the local engine when it grows', async () => {
    expect((await call('POST', '/v1/clusters/local/grow', { by: 1 })).statusCode).toBe(202);
    expect(await hostsOf('local')).toEqual([]);
  });

  it('places nothing on a drained host', async () => {
    await addHost('h-ccc', 4);
    await store.hosts.setState('h-ccc', 'draining');
    const res = await call('POST', '/v1/clusters', { name: 'more', nodes: 1, flavor: 'container1-4G' });
    expect(res.json()).toMatchObject({ error: { code: 'CARINA_ERR_NO_CAPACITY' } });
    await store.hosts.setState('h-ccc', 'ready');
    expect((await call('POST', '/v1/clusters', { name: 'more', nodes: 1, flavor: 'container1-4G' })).statusCode).toBe(202);
    expect(await hostsOf('more')).toEqual([[0, 'h-ccc']]);
  });

  it('makes a stand-in (of a drain) the node a grow adds at its index, where it runs', async () => {
    const id = (await call('GET', '/v1/clusters/more')).json<{ id: string }>().id;
    await store.hosts.place(id, [{ index: 1, host: 'h-bb', standIn: true }]);
    expect((await call('POST', '/v1/clusters/more/grow', { by: 2 })).statusCode).toBe(202);
    const placed = await store.hosts.placementsOf(id);
    expect(placed.map((p) => [p.index, p.host, p.standIn ?? false])).toEqual([[0, 'h-ccc', false], [1, 'h-bb', false], [2, 'h-ccc', false]]);
  });
});
