import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiClient } from './support/api-client.js';
import { dockerWithBundle, extractBundle } from './support/docker-cli.js';
import { TestServer } from './support/server.js';

const GiB = 1024 ** 3;
const run = promisify(execFile);

// Carina's autoscaling rule, checked every second here (15 s by default): grow by one node when
// reservations pass 80 %, never shrink, stop at the quota with an event saying so.
describe('autoscaling', () => {
  const server = new TestServer('scale');
  let api: ApiClient;
  let bundle = '';
  const events = async () => (await api.request('GET', '/v1/clusters/auto/events')).body.events as { type: string; message: string }[];

  beforeAll(async () => {
    await server.start({ CARINA_AUTOSCALE_INTERVAL_MS: '1000', CARINA_AUTOSCALE_COOLDOWN_MS: '2000' });
    api = new ApiClient(server.url, await server.createAccount('fay', '--nodes', '2'));
    expect((await api.request('POST', '/v1/clusters', { name: 'auto', nodes: 1, autoscale: true })).status).toBe(202);
    await api.waitFor('auto', (c) => c.status === 'active');
    bundle = (await extractBundle((await api.request('GET', '/v1/clusters/auto/credentials')).body as Buffer)).dir;
  });
  afterAll(() => server.cleanup());

  it("shows the flavor's memory and CPUs inside the node, as swarm sees them", async () => {
    const out = await dockerWithBundle(bundle, ['node', 'inspect', 'self', '--format', '{{.Description.Resources.NanoCPUs}} {{.Description.Resources.MemoryBytes}}']);
    const [cpus, mem] = out.trim().split(' ').map(Number);
    expect(cpus).toBe(2e9);
    expect(mem).toBe(4 * GiB);
  });

  it('reports reservations per node through the usage endpoint', async () => {
    const res = await api.request('GET', '/v1/clusters/auto/usage');
    expect(res.status).toBe(200);
    expect(res.body.nodes).toHaveLength(1);
    expect(res.body.nodes[0]).toMatchObject({ index: 0, capacity_cpus: 2, capacity_memory_bytes: 4 * GiB, reserved_cpus: 0, reserved_memory_bytes: 0 });
    expect(res.body.nodes[0].used_memory_bytes).toBeGreaterThan(0);
    const env = { PATH: process.env.PATH, HOME: server.dataDir, CARINA_ENDPOINT: server.url, CARINA_APIKEY: api.key };
    const table = (await run(process.execPath, ['bin/carina.js', 'usage', 'auto'], { env })).stdout.split('\n');
    expect(table[0]).toMatch(/^Node\s+CPU reserved\/used\/capacity/);
    expect(table[1]).toMatch(/^0\s+0\.00 \/ \S+ \/ 2\.00\s+0 MiB \/ \d+ MiB \/ 4096 MiB/);
  });

  it('grows to 2 nodes when reserved memory passes 80 %', async () => {
    await dockerWithBundle(bundle, ['service', 'create', '--detach', '--name', 'big', '--reserve-memory', '3500m', '--endpoint-mode', 'dnsrr', 'carina/busybox', 'sleep', '3600']);
    const grown = await api.waitFor('auto', (c) => c.nodes === 2 && c.status === 'active' && c.nodes_ready === 2, 60_000);
    expect(grown.nodes).toBe(2);
    const autoscale = (await events()).filter((e) => e.type === 'autoscale');
    expect(autoscale[0]?.message).toMatch(/^reserved memory \d+ % of 4 GiB ≥ 80 %: growing 1 → 2$/);
    const usage = (await api.request('GET', '/v1/clusters/auto/usage')).body;
    expect(usage.total.reserved_memory_bytes).toBe(3500 * 1024 * 1024);
  });

  it('stops at the quota with one event, and never shrinks', async () => {
    await dockerWithBundle(bundle, ['service', 'create', '--detach', '--name', 'big2', '--reserve-memory', '3500m', '--endpoint-mode', 'dnsrr', 'carina/busybox', 'sleep', '3600']);
    const deadline = Date.now() + 30_000;
    while (!(await events()).some((e) => e.message.includes('quota')) && Date.now() < deadline) await sleep(250);
    await sleep(3_000); // a few more checks: no second quota event, no growth
    const autoscale = (await events()).filter((e) => e.type === 'autoscale');
    expect(autoscale.filter((e) => e.message.includes('quota'))).toHaveLength(1);
    expect(autoscale.find((e) => e.message.includes('quota'))?.message).toMatch(/of 8 GiB ≥ 80 %, but the quota of 2 nodes per cluster is reached: not growing$/);
    await dockerWithBundle(bundle, ['service', 'rm', 'big', 'big2']);
    await sleep(3_000);
    const after = (await api.request('GET', '/v1/clusters/auto')).body;
    expect(after).toMatchObject({ nodes: 2, status: 'active' });
  });
});
