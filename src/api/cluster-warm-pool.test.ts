import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../core/ports.js';
import { openStore } from '../store/open-store.js';
import { generateApiKey, hashApiKey } from './api-keys.js';
import { buildApi } from './app.js';
import { stubClusterService } from './test-support/stub-cluster-service.js';

// Issue 16 part 1 (docs/warm-pool.md): a create takes the ready warm shell of its flavor with the
// most nodes not above its own count — the cluster gets the shell's id and port — and starts cold
// when there is none, when the pool is off, or when another create took the shell first.
const ACCOUNT = 'a0b1c2d3e4f50617';
const FLAVOR = 'container1-4G';
const PORTS = { from: 40000, to: 40099 };
const limits = { headersTimeoutMs: 5_000, requestTimeoutMs: 5_000, maxConnections: 0, maxConnectionsPerAddress: 0 };

describe('creates and the warm pool', () => {
  let store: Store;
  let app: FastifyInstance;
  let key = '';
  let taken = 0;

  const start = async (options: { pool: boolean; store?: Store }) => {
    const clusters = stubClusterService(options.store ?? store, { ports: PORTS, warmPool: options.pool ? { taken: () => void taken++ } : undefined });
    app = await buildApi({ store: options.store ?? store, clusters, advertiseAddress: '127.0.0.1', version: 'test', log: () => undefined, limits });
  };
  beforeEach(async () => {
    taken = 0;
    store = await openStore({ url: 'sqlite::memory:' });
    key = generateApiKey(ACCOUNT);
    await store.accounts.create({ id: ACCOUNT, name: 'wendy', keyHash: await hashApiKey(key), quotaClusters: 5, quotaNodes: 10 });
  });
  afterEach(async () => {
    await app.close();
    await store.close();
  });

  const shell = async (id: string, nodeCount: number, flavor = FLAVOR) => {
    const s = await store.warmShells.reserve({ id, flavor, nodeCount }, PORTS);
    await store.warmShells.markReady(id);
    return s;
  };
  const create = async (name: string, nodes: number) => {
    const res = await app.inject({ method: 'POST', url: '/v1/clusters', payload: { name, nodes, flavor: FLAVOR }, headers: { authorization: `Bearer ${key}` } });
    expect(res.statusCode).toBe(202);
    const body = res.json<{ id: string }>();
    const cluster = await store.clusters.getById(body.id);
    if (!cluster) throw new Error(`cluster ${name} not stored`);
    const [created] = await store.events.list(cluster.id, { limit: 1 });
    return { id: cluster.id, port: cluster.port, event: created?.message };
  };
  const shells = async () => (await store.warmShells.list()).map((s) => s.id).sort();

  it('takes the shell with the most nodes not above the request: its id, its port, and says so', async () => {
    await shell('one', 1);
    const three = await shell('three', 3);
    await start({ pool: true });
    expect(await create('web', 3)).toEqual({ id: 'three', port: three.port, event: 'cluster requested with 3 node(s) of flavor container1-4G (3 of them already running, from the warm pool)' });
    expect(await shells()).toEqual(['one']);
    expect(taken).toBe(1);
    expect((await create('big', 5)).id).toBe('one'); // 1 warm node, 4 made cold by the reconciler
    expect(await shells()).toEqual([]);
  });

  it('starts cold when no shell fits: a smaller request, another flavor, a shell not ready', async () => {
    await shell('three', 3);
    await shell('other', 1, 'container2-8G');
    await store.warmShells.reserve({ id: 'building', flavor: FLAVOR, nodeCount: 1 }, PORTS);
    await start({ pool: true });
    const cold = await create('web', 2);
    expect(cold).toMatchObject({ id: 'c00000000001', event: 'cluster requested with 2 node(s) of flavor container1-4G' });
    expect(cold.port).toBe(PORTS.from + 3); // next to the shells' ports, never one of them
    expect(await shells()).toEqual(['building', 'other', 'three']);
    expect(taken).toBe(0);
  });

  it('leaves the shells alone when the pool is off', async () => {
    await shell('one', 1);
    await start({ pool: false });
    expect((await create('web', 1)).id).toBe('c00000000001');
    expect(await shells()).toEqual(['one']);
  });

  it('starts cold when another create took the shell between the pick and the insert', async () => {
    const stale = await shell('gone', 1);
    await store.warmShells.release('gone');
    // The pick answers the shell as it was read just before the other create took it.
    const racing: Store = { ...store, warmShells: { ...store.warmShells, pick: () => Promise.resolve({ ...stale, ready: true }) } };
    await start({ pool: true, store: racing });
    const cold = await create('web', 1);
    expect(cold.id).toBe('c00000000001');
    expect(taken).toBe(0);
  });

  it('keeps the shell for the next create when this one is refused', async () => {
    await shell('one', 1);
    await start({ pool: true });
    await create('web', 1);
    await shell('again', 1);
    const res = await app.inject({ method: 'POST', url: '/v1/clusters', payload: { name: 'web', nodes: 1 }, headers: { authorization: `Bearer ${key}` } });
    expect(res.json()).toMatchObject({ error: { code: 'CARINA_ERR_CLUSTER_EXISTS' } });
    expect(await shells()).toEqual(['again']);
  });
});
