import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterService } from '../core/cluster-service.js';
import type { Store } from '../core/ports.js';
import { openStore } from '../store/open-store.js';
import { generateApiKey, hashApiKey } from './api-keys.js';
import { buildApi } from './app.js';

describe("the API's request log", () => {
  let store: Store;
  let app: FastifyInstance;
  let key = '';
  const lines: Record<string, unknown>[] = [];

  beforeAll(async () => {
    store = await openStore({ url: 'sqlite::memory:' });
    key = generateApiKey('a1b2c3d4e5f60718');
    await store.accounts.create({ id: 'a1b2c3d4e5f60718', name: 'alice', keyHash: await hashApiKey(key), quotaClusters: 1, quotaNodes: 1 });
    const logger = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
    app = await buildApi({
      store,
      clusters: { list: () => Promise.resolve({ clusters: [], next: null }) } as unknown as ClusterService,
      advertiseAddress: '127.0.0.1',
      version: 'test',
      log: () => undefined,
      logger: logger.child({ component: 'api' }),
      limits: { headersTimeoutMs: 5_000, requestTimeoutMs: 5_000, maxConnections: 0, maxConnectionsPerAddress: 0 },
    });
  });
  afterAll(async () => {
    await app.close();
    await store.close();
  });

  it('gives each request an id, answers it in X-Request-Id and logs one line with it', async () => {
    lines.length = 0;
    const refused = await app.inject({ method: 'GET', url: '/v1/quotas', headers: { authorization: 'Bearer carina_wrong' } });
    expect(refused.statusCode).toBe(401);
    const id = refused.headers['x-request-id'];
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const line = lines.find((l) => l.reqId === id);
    expect(line).toMatchObject({ component: 'api', method: 'GET', path: '/v1/quotas', status: 401, msg: expect.stringMatching(/^GET \/v1\/quotas 401 \(/) as unknown });
    expect(JSON.stringify(lines)).not.toContain('carina_wrong');
  });

  it("keeps a client's safe X-Request-Id and replaces an unsafe one", async () => {
    lines.length = 0;
    const kept = await app.inject({ method: 'GET', url: '/v1/quotas', headers: { authorization: `Bearer ${key}`, 'x-request-id': 'lb-7f3a.42' } });
    expect(kept.headers['x-request-id']).toBe('lb-7f3a.42');
    const replaced = await app.inject({ method: 'GET', url: '/v1/quotas', headers: { 'x-request-id': 'x'.repeat(200) } });
    expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(lines.map((l) => l.reqId)).toEqual(['lb-7f3a.42', replaced.headers['x-request-id']]);
  });

  it('logs the health checks only at debug', async () => {
    lines.length = 0;
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    expect(lines).toEqual([]);
  });
});
