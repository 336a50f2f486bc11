import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiClient } from './support/api-client.js';
import { dockerWithBundle, extractBundle } from './support/docker-cli.js';
import { TestServer, countLabelled } from './support/server.js';

// The seed workflow through HTTP and the real docker client: create → active → bundle →
// swarm with 2 nodes → service on both → grow → 3 Ready → delete → nothing left.
describe('cluster lifecycle (real engine, real docker client)', () => {
  const server = new TestServer('life');
  let api: ApiClient;
  let bundleDir = '';
  let clusterId = '';

  beforeAll(async () => {
    await server.start();
    api = new ApiClient(server.url, await server.createAccount('alice'));
  });
  afterAll(() => server.cleanup());

  it('creates a 2-node cluster that becomes active', async () => {
    const started = Date.now();
    const res = await api.request('POST', '/v1/clusters', { name: 'mycluster', nodes: 2 });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ name: 'mycluster', nodes: 2, flavor: 'container1-4G', autoscale: false });
    expect(['new', 'building']).toContain(res.body.status);
    clusterId = res.body.id;
    const active = await api.waitFor('mycluster', (c) => c.status === 'active', 240_000);
    console.log(`2-node create → active in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    expect(active.nodes_ready).toBe(2);
    expect(active.node_details.map((n: { role: string }) => n.role)).toEqual(['manager', 'worker']);
    const { containers } = await countLabelled(`carina.cluster.id=${clusterId}`);
    expect(containers).toBe(2);
  });

  it('downloads a bundle that drives the swarm with the real docker client', async () => {
    const res = await api.request('GET', '/v1/clusters/mycluster/credentials');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/zip');
    const bundle = await extractBundle(res.body as Buffer);
    expect(bundle.entries.sort()).toEqual(['README.md', 'ca.pem', 'cert.pem', 'docker.cmd', 'docker.env', 'docker.fish', 'docker.ps1', 'key.pem']);
    bundleDir = bundle.dir;
    const info = JSON.parse(await dockerWithBundle(bundleDir, ['info', '--format', '{{json .Swarm}}'])) as { LocalNodeState: string; Nodes: number; ControlAvailable: boolean };
    expect(info).toMatchObject({ LocalNodeState: 'active', Nodes: 2, ControlAvailable: true });
    const nodes = (await dockerWithBundle(bundleDir, ['node', 'ls', '--format', '{{.Status}}'])).trim().split('\n');
    expect(nodes).toEqual(['Ready', 'Ready']);
  });

  it('runs a service across both nodes', async () => {
    await dockerWithBundle(bundleDir, ['service', 'create', '--detach', '--name', 'sleeper', '--replicas', '2', '--endpoint-mode', 'dnsrr', 'carina/busybox', 'sleep', '600']);
    let placed: string[] = [];
    for (let i = 0; i < 150; i++) {
      const out = await dockerWithBundle(bundleDir, ['service', 'ps', 'sleeper', '--filter', 'desired-state=running', '--format', '{{.Node}} {{.CurrentState}}']);
      const running = out.trim().split('\n').filter((l) => l.includes('Running'));
      placed = [...new Set(running.map((l) => l.split(' ')[0] ?? ''))];
      if (running.length === 2) break;
      await sleep(200);
    }
    expect(placed).toHaveLength(2);
  });

  it('grows by one node to 3 Ready nodes', async () => {
    const res = await api.request('POST', '/v1/clusters/mycluster/grow', { by: 1 });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ nodes: 3, status: 'growing' });
    const active = await api.waitFor('mycluster', (c) => c.status === 'active' && c.nodes_ready === 3, 120_000);
    expect(active.nodes).toBe(3);
    const nodes = (await dockerWithBundle(bundleDir, ['node', 'ls', '--format', '{{.Status}}'])).trim().split('\n');
    expect(nodes).toEqual(['Ready', 'Ready', 'Ready']);
  });

  it('records what happened in the event log', async () => {
    const res = await api.request('GET', '/v1/clusters/mycluster/events');
    const types = (res.body.events as { type: string }[]).map((e) => e.type);
    expect(types[0]).toBe('created');
    expect(types).toContain('active');
    expect(types).toContain('grow');
  });

  it('deletes the cluster and every object it had', async () => {
    const res = await api.request('DELETE', '/v1/clusters/mycluster');
    expect(res.status).toBe(202);
    expect(res.body.status).toBe('deleting');
    await api.waitGone('mycluster');
    expect(await countLabelled(`carina.cluster.id=${clusterId}`)).toEqual({ containers: 0, volumes: 0, networks: 0 });
  });
});
