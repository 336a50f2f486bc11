import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiClient } from './support/api-client.js';
import { TestServer, countLabelled } from './support/server.js';

/** Polls `check` every 20 ms until it holds (or fails after `ms`). */
async function until(what: string, check: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(20);
  }
  throw new Error(`timed out waiting for ${what}`);
}

// kill -9 of the control plane at awkward moments; after a restart every cluster converges to what
// was asked, with exactly the requested nodes and nothing orphaned.
describe('crash safety (kill -9 of the control plane)', () => {
  const server = new TestServer('crash');
  let api: ApiClient;

  beforeAll(async () => {
    await server.start();
    api = new ApiClient(server.url, await server.createAccount('carol'));
  });
  afterAll(() => server.cleanup());

  it('converges after a crash right after the create was accepted', async () => {
    const res = await api.request('POST', '/v1/clusters', { name: 'early', nodes: 2 });
    expect(res.status).toBe(202);
    await server.kill();
    await server.start();
    const active = await api.waitFor('early', (c) => c.status === 'active', 120_000);
    expect(active.nodes_ready).toBe(2);
    expect((await countLabelled(`carina.cluster.id=${res.body.id}`)).containers).toBe(2);
  });

  it('converges after a crash while the cluster is building', async () => {
    const res = await api.request('POST', '/v1/clusters', { name: 'midway', nodes: 3 });
    const label = `carina.cluster.id=${res.body.id}`;
    await until('the first node container', async () => (await countLabelled(label)).containers >= 1);
    await server.kill();
    const status = (await api.request('GET', '/v1/clusters/midway').catch(() => ({ status: 0 }))).status;
    expect(status).toBe(0); // really down
    await server.start();
    const active = await api.waitFor('midway', (c) => c.status === 'active', 120_000);
    expect(active.nodes_ready).toBe(3);
    expect(await countLabelled(label)).toEqual({ containers: 3, volumes: 3, networks: 1 });
    const events = (await api.request('GET', '/v1/clusters/midway/events')).body.events as { type: string }[];
    expect(events.filter((e) => e.type === 'active')).toHaveLength(1);
  });

  it('finishes a delete interrupted by a crash, leaving nothing behind', async () => {
    const cluster = (await api.request('GET', '/v1/clusters/midway')).body;
    const label = `carina.cluster.id=${cluster.id}`;
    expect((await api.request('DELETE', '/v1/clusters/midway')).status).toBe(202);
    await until('the first node to go', async () => (await countLabelled(label)).containers < 3);
    await server.kill();
    await server.start();
    await api.waitGone('midway');
    expect(await countLabelled(label)).toEqual({ containers: 0, volumes: 0, networks: 0 });
  });

  it('finishes a delete when the crash came right after it was accepted', async () => {
    const cluster = (await api.request('GET', '/v1/clusters/early')).body;
    expect((await api.request('DELETE', '/v1/clusters/early')).status).toBe(202);
    await server.kill();
    await server.start();
    await api.waitGone('early');
    expect(await countLabelled(`carina.cluster.id=${cluster.id}`)).toEqual({ containers: 0, volumes: 0, networks: 0 });
  });
});
