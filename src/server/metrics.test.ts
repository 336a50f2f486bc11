import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrometheusTelemetry } from './metrics.js';
import { serveMetrics, type MetricsEndpoint } from './metrics-endpoint.js';

/** The value of the series `name{labels}` in an exposition (labels as written, in prom-client's order), if it is there. */
function value(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('PrometheusTelemetry', () => {
  const logs: string[] = [];
  let leads = true;
  let storeOut = false;
  const telemetry = new PrometheusTelemetry(
    {
      clustersByStatus: () => (storeOut ? Promise.reject(new Error('the store does not answer')) : Promise.resolve(new Map([['active', 3], ['error', 1]]))),
      nodesByState: () => Promise.resolve(new Map([['ready', 5], ['joining', 1]])),
      leads: () => leads,
      log: (l) => logs.push(l),
    },
    { processMetrics: false },
  );

  it('reports API answers by method, route pattern and status class', async () => {
    telemetry.httpRequest('POST', '/v1/clusters', 202, 0.004);
    telemetry.httpRequest('POST', '/v1/clusters', 202, 0.02);
    telemetry.httpRequest('GET', '/v1/clusters/:name', 404, 0.001);
    telemetry.httpRequest('DELETE', undefined, 404, 0.0005);
    const text = await telemetry.scrape();
    expect(value(text, 'carina_http_request_duration_seconds_count{method="POST",route="/v1/clusters",status_class="2xx"}')).toBe(2);
    expect(value(text, 'carina_http_request_duration_seconds_bucket{le="0.005",method="POST",route="/v1/clusters",status_class="2xx"}')).toBe(1);
    expect(value(text, 'carina_http_request_duration_seconds_sum{method="POST",route="/v1/clusters",status_class="2xx"}')).toBeCloseTo(0.024);
    expect(value(text, 'carina_http_request_duration_seconds_count{method="GET",route="/v1/clusters/:name",status_class="4xx"}')).toBe(1);
    expect(value(text, 'carina_http_request_duration_seconds_count{method="DELETE",route="unmatched",status_class="4xx"}')).toBe(1);
  });

  it('times engine calls by action and outcome, and operations by kind', async () => {
    telemetry.engineCall('createNode')('ok');
    telemetry.engineCall('createNode')('error');
    telemetry.clusterOperation('create', 12.5);
    const text = await telemetry.scrape();
    expect(value(text, 'carina_reconcile_action_duration_seconds_count{action="createNode",outcome="ok"}')).toBe(1);
    expect(value(text, 'carina_reconcile_action_duration_seconds_count{action="createNode",outcome="error"}')).toBe(1);
    expect(value(text, 'carina_cluster_operation_duration_seconds_sum{operation="create"}')).toBe(12.5);
    expect(value(text, 'carina_cluster_operation_duration_seconds_bucket{le="20",operation="create"}')).toBe(1);
    expect(value(text, 'carina_cluster_operation_duration_seconds_count{operation="delete"}')).toBe(0);
  });

  it('counts autoscale decisions, gateway requests by outcome and code, gateway bytes and store errors', async () => {
    telemetry.autoscaleDecision('grow');
    telemetry.gatewayRequest(null);
    telemetry.gatewayRequest(null);
    telemetry.gatewayRequest('CARINA-1001');
    telemetry.gatewayRequest('CARINA-1093');
    telemetry.gatewayBytes(1_000, 25_000);
    telemetry.gatewayBytes(500, 0);
    telemetry.storeError('clusters');
    const text = await telemetry.scrape();
    expect(value(text, 'carina_autoscale_decisions_total{outcome="grow"}')).toBe(1);
    expect(value(text, 'carina_autoscale_decisions_total{outcome="cooldown"}')).toBe(0);
    expect(value(text, 'carina_gateway_requests_total{outcome="forwarded",code="none"}')).toBe(2);
    expect(value(text, 'carina_gateway_requests_total{outcome="denied",code="CARINA-1001"}')).toBe(1);
    expect(value(text, 'carina_gateway_requests_total{outcome="engine_unreachable",code="CARINA-1093"}')).toBe(1);
    expect(value(text, 'carina_gateway_requests_total{outcome="denied",code="CARINA-1097"}')).toBe(0);
    expect(value(text, 'carina_gateway_received_bytes_total')).toBe(1_500);
    expect(value(text, 'carina_gateway_sent_bytes_total')).toBe(25_000);
    expect(value(text, 'carina_store_errors_total{repository="clusters"}')).toBe(1);
  });

  it('reads clusters by status, nodes by state and the lease at scrape time, every status and state present', async () => {
    let text = await telemetry.scrape();
    expect(value(text, 'carina_clusters{status="active"}')).toBe(3);
    expect(value(text, 'carina_clusters{status="error"}')).toBe(1);
    expect(value(text, 'carina_clusters{status="deleting"}')).toBe(0);
    expect(value(text, 'carina_nodes{state="ready"}')).toBe(5);
    expect(value(text, 'carina_nodes{state="stopped"}')).toBe(0);
    expect(value(text, 'carina_leader')).toBe(1);
    leads = false;
    text = await telemetry.scrape();
    expect(value(text, 'carina_leader')).toBe(0);
  });

  it('leaves a count out of the scrape while the store is out, and serves the rest', async () => {
    storeOut = true;
    const text = await telemetry.scrape();
    storeOut = false;
    expect(text).not.toMatch(/^carina_clusters\{/m);
    expect(value(text, 'carina_nodes{state="ready"}')).toBe(5);
    expect(logs).toEqual(['metrics: clusters by status left out of this scrape: the store does not answer']);
    expect(value(await telemetry.scrape(), 'carina_clusters{status="active"}')).toBe(3);
  });

  it('writes the exposition as prom-client does, one metric at a time', async () => {
    expect(await telemetry.scrape()).toBe(await telemetry.registry.metrics());
  });

  it('collects process and event-loop metrics unless told not to', async () => {
    const full = new PrometheusTelemetry({ clustersByStatus: () => Promise.resolve(new Map()), nodesByState: () => Promise.resolve(new Map()), leads: () => false, log: () => undefined });
    const text = await full.scrape();
    expect(text).toMatch(/^process_cpu_seconds_total /m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds /m);
    expect(text).toMatch(/^process_resident_memory_bytes /m);
    expect(text).not.toMatch(/^nodejs_active_handles_total /m); // a gauge named like a counter: promtool refuses it
  });
});

describe('PrometheusTelemetry with a fleet version', () => {
  let version = 'v1';
  let versionOut = false;
  let counted = 0;
  let countOut = false;
  let versionReads = 0;
  const logs: string[] = [];
  const telemetry = new PrometheusTelemetry(
    {
      clustersByStatus: () => {
        counted += 1;
        return countOut ? Promise.reject(new Error('disk I/O error')) : Promise.resolve(new Map([['active', counted]]));
      },
      nodesByState: () => Promise.resolve(new Map([['ready', 2]])),
      fleetVersion: () => {
        versionReads += 1;
        return versionOut ? Promise.reject(new Error('the store does not answer')) : Promise.resolve(version);
      },
      leads: () => true,
      log: (l) => logs.push(l),
    },
    { processMetrics: false, recountAfterMs: 200 },
  );
  const active = async () => value(await telemetry.scrape(), 'carina_clusters{status="active"}');

  it('counts again only when the version moved, or when the counts are older than the bound', async () => {
    expect(await active()).toBe(1);
    expect(await active()).toBe(1); // the same version: the kept counts, no query
    expect(counted).toBe(1);
    expect(versionReads).toBe(2); // one a scrape, for both gauges
    version = 'v2';
    expect(await active()).toBe(2);
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(await active()).toBe(3);
  });

  it('shows no count while the version cannot be read, and does not keep a failed count', async () => {
    versionOut = true;
    const text = await telemetry.scrape();
    versionOut = false;
    expect(text).not.toMatch(/^carina_clusters\{/m);
    expect(text).not.toMatch(/^carina_nodes\{/m);
    expect(logs.slice(-2).sort()).toEqual(['clusters by status', 'nodes by state'].map((what) => `metrics: ${what} left out of this scrape: the store does not answer`));
    countOut = true;
    expect(await active()).toBeUndefined();
    countOut = false;
    const before = counted;
    expect(await active()).toBe(before + 1); // the same version, counted again: the failure was not kept
  });
});

describe('the metrics endpoint', () => {
  let endpoint: MetricsEndpoint;
  const token = 'b'.repeat(32);
  beforeAll(async () => {
    const source = { scrape: () => Promise.resolve('carina_leader 1\n'), contentType: 'text/plain; version=0.0.4; charset=utf-8' };
    endpoint = await serveMetrics(source, { host: '127.0.0.1', port: 0, token }, () => undefined);
  });
  afterAll(() => endpoint.close());

  it('answers GET /metrics with the bearer token only, and JSON errors otherwise', async () => {
    const ok = await fetch(endpoint.url, { headers: { authorization: `Bearer ${token}` } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(await ok.text()).toBe('carina_leader 1\n');
    for (const authorization of [undefined, `Bearer ${token}x`, `Basic ${token}`, token]) {
      const refused = await fetch(endpoint.url, { headers: authorization === undefined ? {} : { authorization } });
      expect(refused.status, authorization).toBe(401);
      expect(refused.headers.get('www-authenticate')).toBe('Bearer realm="carina-metrics"');
      expect(await refused.json()).toMatchObject({ error: { code: 'CARINA_ERR_UNAUTHORIZED' } });
    }
    const elsewhere = await fetch(endpoint.url.replace('/metrics', '/v1/clusters'));
    expect(elsewhere.status).toBe(404);
    expect(await elsewhere.json()).toMatchObject({ error: { code: 'CARINA_ERR_NOT_FOUND' } });
    const posted = await fetch(endpoint.url, { method: 'POST' });
    expect(posted.status).toBe(405);
    expect(await posted.json()).toMatchObject({ error: { code: 'CARINA_ERR_METHOD_NOT_ALLOWED' } });
  });
});

describe('PrometheusTelemetry with registered hosts', () => {
  const GiB = 2 ** 30;
  const at = new Date(0);
  const host = (name: string, state: 'ready' | 'draining' | 'down') => ({ name, dockerHost: `tcp://${name}:2376`, tlsDir: '/x', state, allocatableNanoCpus: 8e9, allocatableMemoryBytes: 32 * GiB, createdAt: at, updatedAt: at, lastSeenAt: at });
  let reads = 0;
  let out = false;
  const telemetry = new PrometheusTelemetry(
    {
      clustersByStatus: () => Promise.resolve(new Map()),
      nodesByState: () => Promise.resolve(new Map()),
      leads: () => true,
      log: () => undefined,
      hosts: () => {
        reads++;
        if (out) return Promise.reject(new Error('the store does not answer'));
        return Promise.resolve([
          { host: host('h1', 'ready'), nodes: 2, reservedNanoCpus: 4e9, reservedMemoryBytes: 8 * GiB },
          { host: host('h2', 'down'), nodes: 0, reservedNanoCpus: 0, reservedMemoryBytes: 0 },
        ]);
      },
    },
    { processMetrics: false },
  );

  it('counts the warm pool’s nodes by state, and has no such series without a pool source', async () => {
    const pooled = new PrometheusTelemetry(
      {
        clustersByStatus: () => Promise.resolve(new Map()),
        nodesByState: () => Promise.resolve(new Map()),
        leads: () => true,
        log: () => undefined,
        warmShells: () => Promise.resolve([{ nodeCount: 3, ready: true }, { nodeCount: 1, ready: true }, { nodeCount: 5, ready: false }]),
      },
      { processMetrics: false },
    );
    const text = await pooled.scrape();
    expect([value(text, 'carina_warm_pool_nodes{state="ready"}'), value(text, 'carina_warm_pool_nodes{state="building"}')]).toEqual([4, 5]);
    const without = new PrometheusTelemetry({ clustersByStatus: () => Promise.resolve(new Map()), nodesByState: () => Promise.resolve(new Map()), leads: () => true, log: () => undefined }, { processMetrics: false });
    expect(await without.scrape()).not.toContain('carina_warm_pool_nodes');
  });

  it('counts hosts by state and shows what each can give and what its nodes reserve, reading the store once per scrape', async () => {
    const text = await telemetry.scrape();
    expect(reads).toBe(1);
    expect(['ready', 'draining', 'down'].map((state) => value(text, `carina_hosts{state="${state}"}`))).toEqual([1, 0, 1]);
    expect(value(text, 'carina_host_allocatable_cpus{host="h1"}')).toBe(8);
    expect(value(text, 'carina_host_reserved_cpus{host="h1"}')).toBe(4);
    expect(value(text, 'carina_host_allocatable_memory_bytes{host="h2"}')).toBe(32 * GiB);
    expect(value(text, 'carina_host_reserved_memory_bytes{host="h1"}')).toBe(8 * GiB);
    await telemetry.scrape();
    expect(reads).toBe(2);
  });

  it('leaves the host series out of a scrape while the store is out', async () => {
    out = true;
    const text = await telemetry.scrape();
    expect(text).not.toMatch(/^carina_host/m);
    expect(value(text, 'carina_leader')).toBe(1);
    out = false;
    expect(value(await telemetry.scrape(), 'carina_host_reserved_cpus{host="h1"}')).toBe(4);
  });
});
