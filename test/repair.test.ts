import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Dockerode from 'dockerode';
import { ApiClient } from './support/api-client.js';
import { dockerWithBundle, extractBundle } from './support/docker-cli.js';
import { nodeDocker, TestServer } from './support/server.js';

const host = nodeDocker; // the engine the nodes run on
const run = promisify(execFile);

// Clusters take care of themselves: a removed or killed node comes back, a swarm the manager left is
// re-formed, and the user can always rebuild.
describe('self-repair', () => {
  const server = new TestServer('repair');
  let api: ApiClient;
  let id = '';
  let bundle = '';
  const container = (index: number) => host.getContainer(`carina-${id}-n${index}`);
  const readyNodes = async () => (await dockerWithBundle(bundle, ['node', 'ls', '--format', '{{.Status}}'])).trim().split('\n');
  const events = async () => ((await api.request('GET', '/v1/clusters/fix/events')).body.events as { type: string; message: string }[]);

  beforeAll(async () => {
    await server.start();
    api = new ApiClient(server.url, await server.createAccount('dave'));
    id = (await api.request('POST', '/v1/clusters', { name: 'fix', nodes: 3 })).body.id;
    await api.waitFor('fix', (c) => c.status === 'active');
    bundle = (await extractBundle((await api.request('GET', '/v1/clusters/fix/credentials')).body as Buffer)).dir;
    await dockerWithBundle(bundle, ['service', 'create', '--detach', '--name', 'keep', '--replicas', '3', '--endpoint-mode', 'dnsrr', 'carina/busybox', 'sleep', '3600']);
  });
  afterAll(() => server.cleanup());

  it('replaces a worker container removed from the host engine', async () => {
    const started = Date.now();
    await container(2).remove({ force: true });
    await api.waitFor('fix', (c) => c.status === 'rebuilding', 10_000);
    // Usually 5 s; once (CI, 2026-12-03, a loaded machine) node 2 stayed `joining` for over 30 s: not
    // explained yet (the stall limit, 120 s, would end it in error). 90 s keeps the test about convergence.
    const back = await api.waitFor('fix', (c) => c.status === 'active' && c.nodes_ready === 3, 90_000);
    console.log(`worker removed → active with 3 Ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    expect(back.nodes).toBe(3);
    expect(await readyNodes()).toEqual(['Ready', 'Ready', 'Ready']); // same node id (state on its volume): no stale entry
    expect((await events()).some((e) => e.type === 'repair' && /node 2 (is missing|stopped)/.test(e.message))).toBe(true);
  });

  it('restarts a killed manager and keeps the swarm and its services', async () => {
    await container(0).kill();
    await sleep(500);
    await api.waitFor('fix', (c) => c.status === 'active' && c.nodes_ready === 3, 30_000);
    expect((await dockerWithBundle(bundle, ['service', 'ls', '--format', '{{.Name}} {{.Replicas}}'])).trim()).toMatch(/^keep \d\/3$/);
    expect(await readyNodes()).toEqual(['Ready', 'Ready', 'Ready']);
  });

  it('re-forms the swarm when the manager left it, and re-joins every worker', async () => {
    const manager = new Dockerode({ socketPath: join(server.dataDir, 'nodes', id, 'n0', 'docker.sock') });
    await manager.swarmLeave({ force: true });
    // No container event tells of a swarm leave: the periodic pass (every 2 s here, 5 s by default) finds
    // it, and re-forms the swarm only after the manager has reported no swarm for 10 s (it does so
    // briefly while its engine shuts down, and re-forming loses the services).
    const deadline = Date.now() + 40_000;
    while (!(await events()).some((e) => e.message.includes('swarm re-formed')) && Date.now() < deadline) await sleep(200);
    await api.waitFor('fix', (c) => c.status === 'active' && c.nodes_ready === 3, 30_000);
    expect(await readyNodes()).toEqual(['Ready', 'Ready', 'Ready']);
    expect((await events()).some((e) => e.type === 'repair')).toBe(true);
    expect((await events()).some((e) => e.type === 'swarm' && e.message.includes('swarm re-formed'))).toBe(true);
  });

  it('re-joins a worker that left the swarm', async () => {
    const worker = new Dockerode({ socketPath: join(server.dataDir, 'nodes', id, 'n1', 'docker.sock') });
    await worker.swarmLeave({ force: true });
    const deadline = Date.now() + 20_000;
    while (!(await events()).some((e) => e.type === 'repair' && e.message.includes('node 1 is not in the swarm')) && Date.now() < deadline) await sleep(200);
    await api.waitFor('fix', (c) => c.status === 'active' && c.nodes_ready === 3, 30_000);
    // The old entry of node 1 turns Down after a few missed heartbeats, then is removed.
    let nodes: string[] = [];
    for (let i = 0; i < 100; i++) {
      nodes = (await dockerWithBundle(bundle, ['node', 'ls', '--format', '{{.Status}}'])).trim().split('\n');
      if (nodes.length === 3) break;
      await sleep(300);
    }
    expect(nodes).toEqual(['Ready', 'Ready', 'Ready']);
  });

  it('restarts the nodes whose /proc went stale when the host\'s lxcfs was killed, so they report their 4 GiB again', async () => {
    const memTotal = async () => (await dockerWithBundle(bundle, ['info', '--format', '{{.MemTotal}}'])).trim();
    expect(await memTotal()).toBe(String(4 * 1024 ** 3)); // CI installs lxcfs; carina-server started it
    // (The swarm was re-formed above, so services of the first tests are gone: this one is its own.)
    await dockerWithBundle(bundle, ['service', 'create', '--detach', '--name', 'through', '--replicas', '3', '--endpoint-mode', 'dnsrr', 'carina/busybox', 'sleep', '3600']);
    const { stdout } = await run('pgrep', ['-x', 'lxcfs']);
    for (const pid of stdout.trim().split('\n')) process.kill(Number(pid), 'SIGKILL');
    const deadline = Date.now() + 30_000;
    while (!(await events()).some((e) => e.type === 'repair' && e.message.includes('reports no memory')) && Date.now() < deadline) await sleep(200);
    await api.waitFor('fix', (c) => c.status === 'active' && c.nodes_ready === 3, 60_000);
    expect(await memTotal()).toBe(String(4 * 1024 ** 3));
    const restarted = (await events()).filter((e) => e.type === 'node' && e.message.includes('its /proc files answer again'));
    expect(restarted.map((e) => e.message).sort()).toEqual([0, 1, 2].map((i) => `node ${i} restarted: its /proc files answer again`));
    let replicas = '';
    for (let i = 0; i < 100 && replicas !== 'through 3/3'; i++) {
      replicas = (await dockerWithBundle(bundle, ['service', 'ls', '--filter', 'name=through', '--format', '{{.Name}} {{.Replicas}}'])).trim();
      if (replicas !== 'through 3/3') await sleep(300);
    }
    expect(replicas).toBe('through 3/3'); // the service survived its nodes' restarts
  });

  it('recovers from `docker rm -f $(docker ps -aq)` inside the cluster with a rebuild', async () => {
    await dockerWithBundle(bundle, ['service', 'create', '--detach', '--name', 'again', '--replicas', '2', '--endpoint-mode', 'dnsrr', 'carina/busybox', 'sleep', '3600']);
    const ids = (await dockerWithBundle(bundle, ['ps', '-aq'])).trim().split('\n').filter(Boolean);
    if (ids.length > 0) await dockerWithBundle(bundle, ['rm', '-f', ...ids]);
    expect((await api.request('POST', '/v1/clusters/fix/rebuild')).status).toBe(202);
    await api.waitFor('fix', (c) => c.status === 'active' && c.nodes_ready === 3, 30_000);
    let replicas = '';
    for (let i = 0; i < 100 && replicas !== 'again 2/2'; i++) {
      replicas = (await dockerWithBundle(bundle, ['service', 'ls', '--filter', 'name=again', '--format', '{{.Name}} {{.Replicas}}'])).trim();
      if (replicas !== 'again 2/2') await sleep(300);
    }
    expect(replicas).toBe('again 2/2'); // swarm re-created the tasks; the platform lost nothing
  });

  it('rebuilds on request and returns to active', async () => {
    const res = await api.request('POST', '/v1/clusters/fix/rebuild');
    expect(res.status).toBe(202);
    expect(res.body.status).toBe('rebuilding');
    await api.waitFor('fix', (c) => c.status === 'active' && c.nodes_ready === 3, 30_000);
  });
});
