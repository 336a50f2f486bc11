import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from './support/api-client.js';
import { TestServer } from './support/server.js';

/** A port nothing listens on now (the kernel's pick). */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** `promtool check metrics` on an exposition: its exit code and what it said (nothing when clean). */
function promtool(exposition: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('promtool', ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
    child.stdin.end(exposition);
  });
}

/** The value of the series `name{labels}` (labels as prom-client writes them), if it is there. */
const valueOf = (text: string, series: string) => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

// Issue 17's metrics on a real control plane: served on their own listener with a bearer token, not
// on the API's port; a create shows in the request, operation and cluster series; promtool accepts it.
describe('metrics (real control plane)', () => {
  const token = randomBytes(24).toString('hex');
  let server: TestServer;
  let metricsUrl = '';
  let api: ApiClient;

  beforeAll(async () => {
    const port = await freePort();
    metricsUrl = `http://127.0.0.1:${port}/metrics`;
    server = new TestServer('metrics', { env: { CARINA_METRICS_LISTEN: `127.0.0.1:${port}`, CARINA_METRICS_TOKEN: token } });
    await server.start();
    api = new ApiClient(server.url, await server.createAccount('alice'));
  });
  afterAll(() => server.cleanup());

  it('counts a 1-node create in the API, reconciler and store series, and promtool accepts the scrape', async () => {
    expect((await api.request('POST', '/v1/clusters', { name: 'measured', nodes: 1 })).status).toBe(202);
    await api.waitFor('measured', (c) => c.status === 'active', 60_000);
    const res = await fetch(metricsUrl, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(valueOf(text, 'carina_clusters{status="active"}')).toBe(1);
    expect(valueOf(text, 'carina_clusters{status="building"}')).toBe(0);
    expect(valueOf(text, 'carina_nodes{state="ready"}')).toBe(1);
    expect(valueOf(text, 'carina_http_request_duration_seconds_count{method="POST",route="/v1/clusters",status_class="2xx"}')).toBe(1);
    expect(valueOf(text, 'carina_http_request_duration_seconds_count{method="GET",route="/v1/clusters/:name",status_class="2xx"}')).toBeGreaterThan(0);
    expect(valueOf(text, 'carina_leader')).toBe(1);
    expect(valueOf(text, 'carina_cluster_operation_duration_seconds_count{operation="create"}')).toBe(1);
    expect(valueOf(text, 'carina_reconcile_action_duration_seconds_count{action="createNode",outcome="ok"}')).toBe(1);
    expect(valueOf(text, 'carina_gateway_requests_total{outcome="forwarded",code="none"}')).toBe(0);
    expect(text).toMatch(/^process_resident_memory_bytes /m);
    expect(text).not.toContain('measured'); // no tenant's names in labels
    expect(text).not.toContain('alice');
    expect(await promtool(text)).toEqual({ code: 0, output: '' });
  });

  it('refuses a scrape without the token, and the API port does not serve metrics at all', async () => {
    const refused = await fetch(metricsUrl);
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ error: { code: 'CARINA_ERR_UNAUTHORIZED' } });
    const onApi = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    expect(onApi.status).toBe(404);
    expect(await onApi.json()).toMatchObject({ error: { code: 'CARINA_ERR_NOT_FOUND' } });
  });
});
