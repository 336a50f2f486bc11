import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Dockerode from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from './support/api-client.js';
import { dockerWithBundle, extractBundle } from './support/docker-cli.js';
import { countLabelled, nodeDocker, TestServer } from './support/server.js';

// Issue 16 part 1 (docs/warm-pool.md): the leader keeps a cluster built ahead of any request, a
// create takes it over, and what the tenant gets is a cluster of its own — named after it, with a
// swarm formed for it, nothing of the pool or of another tenant — while the pool builds the next.
describe('warm pool (real engine, real docker client)', () => {
  const server = new TestServer('pool', { env: { CARINA_WARM_POOL: '2' } });
  let alice: ApiClient;
  let bob: ApiClient;
  const seen = new Set<string>();
  const swarmIds: string[] = [];

  /** Waits for the next shell the server says is ready (a line of its log not seen before); its id. */
  async function nextReadyShell(timeoutMs = 180_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const ids = [...readFileSync(server.logFile, 'utf8').matchAll(/warm pool: shell ([0-9a-f]+) \(2 × container1-4G, port \d+\) ready in/g)].map((m) => m[1] ?? '');
      const fresh = ids.find((id) => !seen.has(id));
      if (fresh) {
        seen.add(fresh);
        return fresh;
      }
      await sleep(250);
    }
    throw new Error('no warm shell became ready');
  }
  /** A client of node `index`'s own engine, through its socket in the data dir (what the control plane uses). */
  const innerEngine = (clusterId: string, index: number) => new Dockerode({ socketPath: join(server.dataDir, 'nodes', clusterId, `n${index}`, 'docker.sock') });
  /** What is in a node's engine besides the platform's workload image. */
  async function leftovers(clusterId: string, index: number) {
    const engine = innerEngine(clusterId, index);
    const [containers, images, volumes] = await Promise.all([engine.listContainers({ all: true }), engine.listImages(), engine.listVolumes()]);
    // The workload image carries two tags of its own (carina/busybox:latest and :<hash>): one image, the platform's.
    return { containers: containers.length, images: images.map((i) => (i.RepoTags ?? []).filter((t) => t !== 'carina/busybox:latest' && !/^carina\/busybox:[0-9a-f]{12}$/.test(t))), volumes: (volumes.Volumes ?? []).length };
  }
  const nodeContainers = async (clusterId: string) => nodeDocker.listContainers({ all: true, filters: { label: [`carina.cluster.id=${clusterId}`, `carina.instance=${server.instance}`] } });

  /** `docker node ls` hostnames and states, once every node shows its cluster's name (at most 30 s). */
  async function nodeNames(bundle: string): Promise<string[]> {
    let names: string[] = [];
    for (const deadline = Date.now() + 30_000; Date.now() < deadline; await sleep(1_000)) {
      names = (await dockerWithBundle(bundle, ['node', 'ls', '--format', '{{.Hostname}} {{.Status}}'])).trim().split('\n').sort();
      if (!names.some((n) => n.startsWith('node-'))) break;
    }
    return names;
  }

  async function createFromPool(api: ApiClient, name: string, shellId: string): Promise<string> {
    const started = Date.now();
    const res = await api.request('POST', '/v1/clusters', { name, nodes: 2 });
    expect(res.status).toBe(202);
    expect(res.body.id).toBe(shellId);
    await api.waitFor(name, (c) => c.status === 'active' && c.nodes_ready === 2, 120_000);
    console.log(`2-node create from the warm pool → active in ${((Date.now() - started) / 1000).toFixed(2)} s`);
    const events = (await api.request('GET', `/v1/clusters/${name}/events`)).body.events as { type: string; message: string }[];
    expect(events[0]?.message).toBe('cluster requested with 2 node(s) of flavor container1-4G (2 of them already running, from the warm pool)');
    const bundle = await extractBundle((await api.request('GET', `/v1/clusters/${name}/credentials`)).body as Buffer);
    return bundle.dir;
  }

  beforeAll(async () => {
    await server.start();
    alice = new ApiClient(server.url, await server.createAccount('alice'));
    bob = new ApiClient(server.url, await server.createAccount('bob'));
  });
  afterAll(() => server.cleanup());

  let first = '';
  it('builds a shell: nodes running, engines up, a swarm of their own formed, belonging to no account', async () => {
    first = await nextReadyShell();
    const nodes = await nodeContainers(first);
    expect(nodes.map((n) => [n.State, n.Labels['carina.node.index'], n.Labels['carina.account'], n.Labels['carina.cluster']]).sort()).toEqual([
      ['running', '0', '', ''],
      ['running', '1', '', ''],
    ]);
    for (const index of [0, 1]) {
      const info = (await innerEngine(first, index).info()) as { Name: string; Swarm: { LocalNodeState: string; ControlAvailable: boolean } };
      expect(info).toMatchObject({ Name: `node-${index}`, Swarm: { LocalNodeState: 'active', ControlAvailable: index === 0 } });
    }
  });

  it('a create takes it over: active, nodes named after the cluster, nothing else in its engines', async () => {
    const bundle = await createFromPool(alice, 'warm', first);
    expect((await dockerWithBundle(bundle, ['info', '--format', '{{.Name}} {{.Swarm.Nodes}}'])).trim()).toBe('warm-0 2');
    // The swarm shows a node's new name at its next description update (Docker sends one every 20 s).
    expect(await nodeNames(bundle)).toEqual(['warm-0 Ready', 'warm-1 Ready']);
    swarmIds.push((await dockerWithBundle(bundle, ['info', '--format', '{{.Swarm.Cluster.ID}}'])).trim());
    for (const index of [0, 1]) expect(await leftovers(first, index)).toEqual({ containers: 0, images: [[]], volumes: 0 });
    // Named after the cluster at every start too (the entrypoint reads the name kept here).
    expect(readFileSync(join(server.dataDir, 'nodes', first, 'n1', 'hostname'), 'utf8')).toBe('warm-1\n');
  });

  it('refills, and another tenant’s create gets another shell: its own swarm, its own names, none of alice’s', async () => {
    const second = await nextReadyShell();
    expect(second).not.toBe(first);
    const bundle = await createFromPool(bob, 'other', second);
    expect(await nodeNames(bundle)).toEqual(['other-0 Ready', 'other-1 Ready']);
    const swarm = (await dockerWithBundle(bundle, ['info', '--format', '{{.Swarm.Cluster.ID}}'])).trim();
    expect(swarm).not.toBe(swarmIds[0]);
    for (const index of [0, 1]) expect(await leftovers(second, index)).toEqual({ containers: 0, images: [[]], volumes: 0 });
  });

  it('survives kill -9 while it refills: after a restart the pool holds one shell, and nothing is there twice', async () => {
    // The keeper starts the next shell 1.5 s after bob's create took his (REFILL_DELAY_MS), and
    // builds it in about 2–3 s: kill the server in the middle of that.
    await sleep(2_500);
    await server.kill();
    await server.start();
    const third = await nextReadyShell();
    await sleep(13_000); // an orphan sweep has run since (the first periodic pass, then every sixth)
    expect((await nodeContainers(third)).length).toBe(2);
    // Two clusters and one shell of two nodes each: no node of an abandoned build left beside them.
    expect(await countLabelled(`carina.instance=${server.instance}`)).toEqual({ containers: 6, volumes: 6, networks: 3 });
  });

  it('deleting a cluster that came from the pool removes all of it, and leaves the shell alone', async () => {
    expect((await alice.request('DELETE', '/v1/clusters/warm')).status).toBe(202);
    const deadline = Date.now() + 60_000;
    while ((await alice.request('GET', '/v1/clusters/warm')).status !== 404 && Date.now() < deadline) await sleep(250);
    expect(await countLabelled(`carina.cluster.id=${first}`)).toEqual({ containers: 0, volumes: 0, networks: 0 });
    expect(await countLabelled(`carina.instance=${server.instance}`)).toEqual({ containers: 4, volumes: 4, networks: 2 });
  });
});
