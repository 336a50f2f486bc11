import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterService } from '../core/cluster-service.js';
import type { Store } from '../core/ports.js';
import { openStore } from '../store/open-store.js';
import { generateApiKey, hashApiKey } from './api-keys.js';
import { buildApi } from './app.js';

// The credentials route answers a file, not JSON: its 200 is documented as application/zip
// (openapi-contract.test.ts) and that schema must not make Fastify touch the bytes it sends.
describe('GET /v1/clusters/{name}/credentials', () => {
  const archive = Buffer.from([0x50, 0x4b, 0x05, 0x06, ...Array<number>(18).fill(0)]); // an empty zip
  let store: Store;
  let app: FastifyInstance;
  let key = '';

  beforeAll(async () => {
    store = await openStore({ url: 'sqlite::memory:' });
    key = generateApiKey('c1d2e3f4a5b60718');
    await store.accounts.create({ id: 'c1d2e3f4a5b60718', name: 'cara', keyHash: await hashApiKey(key), quotaClusters: 1, quotaNodes: 1 });
    const clusters = {
      credentialsBundle: (_account: unknown, name: string, held: readonly string[]) =>
        Promise.resolve(held.includes('7f') ? { kind: 'unchanged', clientSerial: '7f' } : { kind: 'bundle', clientSerial: '7f', cluster: { name }, archive }),
    } as unknown as ClusterService;
    const limits = { headersTimeoutMs: 5_000, requestTimeoutMs: 5_000, maxConnections: 0, maxConnectionsPerAddress: 0 };
    app = await buildApi({ store, clusters, advertiseAddress: '127.0.0.1', version: 'test', log: () => undefined, limits });
  });
  afterAll(async () => {
    await app.close();
    await store.close();
  });

  it('sends the bundle as it is, a zip named after the cluster, with its serial as the ETag', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/clusters/demo/credentials', headers: { authorization: `Bearer ${key}` } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/zip');
    expect(res.headers['content-disposition']).toBe('attachment; filename="demo.zip"');
    expect(res.headers.etag).toBe('"7f"');
    expect(res.rawPayload.equals(archive)).toBe(true);
    const again = await app.inject({ method: 'GET', url: '/v1/clusters/demo/credentials', headers: { authorization: `Bearer ${key}`, 'if-none-match': '"7f"' } });
    expect([again.statusCode, again.rawPayload.length]).toEqual([304, 0]);
  });
});
