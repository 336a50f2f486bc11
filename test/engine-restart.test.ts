import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Dockerode from 'dockerode';
import { ApiClient } from './support/api-client.js';
import { OwnEngine } from './support/own-engine.js';
import { hostDocker, nodeDocker, TestServer } from './support/server.js';

// kind and k3d clusters don't survive a host restart; Carina's must. This test owns its engine: the
// one nodes run on (a userns engine, like Carina's node engine, unless CARINA_NODE_ENGINE=host).
const userns = nodeDocker !== hostDocker;
describe('surviving a restart of the engine the nodes run on', () => {
  const engine = new OwnEngine({ userns });
  const server = new TestServer('restart');
  let api: ApiClient;
  let id = '';

  beforeAll(async () => {
    await engine.create();
    const main = hostDocker;
    const refs = (await main.listImages()).flatMap((i) => i.RepoTags ?? []).filter((t) => /^carina\/(node|busybox):/.test(t));
    expect(refs.some((r) => r.startsWith('carina/node:'))).toBe(true); // built by earlier tests or `up`
    await engine.copyImages(main, refs);
    await server.start({ DOCKER_HOST: `unix://${engine.socket}`, CARINA_NODE_ENGINE_HOST: `unix://${engine.socket}` });
    api = new ApiClient(server.url, await server.createAccount('gus'));
    id = (await api.request('POST', '/v1/clusters', { name: 'sturdy', nodes: 2 })).body.id;
    await api.waitFor('sturdy', (c) => c.status === 'active', 120_000);
  });
  afterAll(async () => {
    await server.kill();
    await engine.destroy();
  });

  it('comes back active with its nodes and services, without user action', async () => {
    const manager = () => new Dockerode({ socketPath: join(server.dataDir, 'nodes', id, 'n0', 'docker.sock') });
    await manager().createService({
      Name: 'survivor',
      TaskTemplate: { ContainerSpec: { Image: 'carina/busybox', Command: ['sleep', '3600'] } },
      Mode: { Replicated: { Replicas: 2 } },
      EndpointSpec: { Mode: 'dnsrr' },
    });
    await engine.stop();
    const restarted = Date.now();
    await engine.start();
    try {
      await api.waitFor('sturdy', (c) => c.status === 'active' && c.nodes_ready === 2 && c.node_details.every((n: { status: string }) => n.status === 'ready'), 60_000);
    } catch (e) {
      // CI keeps no files: what the reconciler did is in the cluster's events.
      console.log(`sturdy's events: ${JSON.stringify((await api.request('GET', '/v1/clusters/sturdy/events')).body)}`);
      throw e;
    }
    let running = 0;
    while (running < 2 && Date.now() - restarted < 60_000) {
      const tasks = (await manager().listTasks({ filters: { service: ['survivor'], 'desired-state': ['running'] } })) as { Status: { State: string } }[];
      running = tasks.filter((t) => t.Status.State === 'running').length;
      if (running < 2) await sleep(300);
    }
    console.log(`engine restarted → cluster active with its service in ${((Date.now() - restarted) / 1000).toFixed(1)} s`);
    expect(running).toBe(2);
    expect(Date.now() - restarted).toBeLessThan(60_000);
  });
});
