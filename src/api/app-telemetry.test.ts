import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterService } from '../core/cluster-service.js';
import type { Store } from '../core/ports.js';
import { RecordingTelemetry } from '../core/test-support/recording-telemetry.js';
import { openStore } from '../store/open-store.js';
import { buildApi } from './app.js';

// What the API reports for its request-duration metric, and that metrics are not served on its port.
describe('the API and metrics', () => {
  const telemetry = new RecordingTelemetry();
  let store: Store;
  let app: FastifyInstance;

  beforeAll(async () => {
    store = await openStore({ url: 'sqlite::memory:' });
    app = await buildApi({
      store,
      clusters: {} as ClusterService, // no cluster route gets past authentication
      advertiseAddress: '127.0.0.1',
      version: 'test',
      log: () => undefined,
      limits: { headersTimeoutMs: 5_000, requestTimeoutMs: 5_000, maxConnections: 0, maxConnectionsPerAddress: 0 },
      telemetry,
    });
  });
  afterAll(async () => {
    await app.close();
    await store.close();
  });

  it('reports each answer by its route pattern, never the path that names a cluster', async () => {
    telemetry.lines.length = 0;
    await app.inject({ method: 'GET', url: '/healthz' });
    await app.inject({ method: 'GET', url: '/v1/clusters/secret-project' });
    await app.inject({ method: 'POST', url: '/v1/nothing-here' });
    expect(telemetry.lines).toEqual(['http GET /healthz 200', 'http GET /v1/clusters/:name 401', 'http POST (no route) 404']);
  });

  it('answers GET /metrics, and any other path that is not a portal page, with a JSON 404 and its code', async () => {
    for (const [method, url] of [
      ['GET', '/metrics'],
      ['GET', '/metrics?name[]=x'],
      ['HEAD', '/metrics'],
      ['GET', '/v1/metrics'],
      ['POST', '/metrics'],
      ['GET', '/federate'],
    ] as const) {
      const res = await app.inject({ method, url });
      expect(res.statusCode, `${method} ${url}`).toBe(404);
      expect(res.headers['content-type'], `${method} ${url}`).toMatch(/^application\/json/);
      if (method !== 'HEAD') expect(res.json(), `${method} ${url}`).toMatchObject({ error: { code: 'CARINA_ERR_NOT_FOUND' } });
    }
  });
});
