import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiClient } from './support/api-client.js';
import { dockerWithBundle, extractBundle } from './support/docker-cli.js';
import { TestServer, countLabelled } from './support/server.js';

// Resize down drains the surplus workers first, so a replicated service keeps its desired count.
describe('resize down', () => {
  const server = new TestServer('resize');
  let api: ApiClient;
  let bundle = '';
  let id = '';

  beforeAll(async () => {
    await server.start();
    api = new ApiClient(server.url, await server.createAccount('erin'));
    id = (await api.request('POST', '/v1/clusters', { name: 'shrinky', nodes: 3 })).body.id;
    await api.waitFor('shrinky', (c) => c.status === 'active');
    bundle = (await extractBundle((await api.request('GET', '/v1/clusters/shrinky/credentials')).body as Buffer)).dir;
    await dockerWithBundle(bundle, ['service', 'create', '--detach', '--name', 'web', '--replicas', '4', '--endpoint-mode', 'dnsrr', 'carina/busybox', 'sleep', '3600']);
    await runningTasks(4);
  });
  afterAll(() => server.cleanup());

  async function runningTasks(want: number): Promise<string[]> {
    let nodes: string[] = [];
    for (let i = 0; i < 200; i++) {
      const out = await dockerWithBundle(bundle, ['service', 'ps', 'web', '--filter', 'desired-state=running', '--format', '{{.Node}} {{.CurrentState}}']);
      const running = out.trim().split('\n').filter((l) => l.includes('Running'));
      nodes = running.map((l) => l.split(' ')[0] ?? '');
      if (running.length === want) return nodes;
      await sleep(200);
    }
    throw new Error(`service web has ${nodes.length} running tasks, wanted ${want}`);
  }

  it('goes from 3 nodes to 1 without losing a task', async () => {
    const res = await api.request('PUT', '/v1/clusters/shrinky/nodes', { count: 1 });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ status: 'shrinking', nodes: 1 });
    const done = await api.waitFor('shrinky', (c) => c.status === 'active', 90_000);
    expect(done).toMatchObject({ nodes: 1, nodes_ready: 1 });
    expect((await dockerWithBundle(bundle, ['node', 'ls', '--format', '{{.Hostname}} {{.Status}}'])).trim().split('\n')).toEqual(['shrinky-0 Ready']);
    const nodes = await runningTasks(4);
    expect(new Set(nodes)).toEqual(new Set(['shrinky-0']));
    expect(await countLabelled(`carina.cluster.id=${id}`)).toEqual({ containers: 1, volumes: 1, networks: 1 });
    const events = ((await api.request('GET', '/v1/clusters/shrinky/events')).body.events as { message: string }[]).map((e) => e.message);
    expect(events.some((m) => m.includes('draining'))).toBe(true);
  });

  it('refuses to go below one node or to the same count', async () => {
    const zero = await api.request('PUT', '/v1/clusters/shrinky/nodes', { count: 0 });
    expect([zero.status, zero.body.error.code]).toEqual([400, 'CARINA_ERR_VALIDATION']);
    const same = await api.request('PUT', '/v1/clusters/shrinky/nodes', { count: 1 });
    expect([same.status, same.body.error.code]).toEqual([409, 'CARINA_ERR_INVALID_STATE']);
  });
});
