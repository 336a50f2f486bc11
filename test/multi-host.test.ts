import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from './support/api-client.js';
import { dockerWithBundle, extractBundle } from './support/docker-cli.js';
import { TestServer } from './support/server.js';
import { parseHosts, SimFleet, type SimHost } from './support/sim-hosts.js';

// Issue 13: a cluster's nodes placed over registered Docker hosts (simulated: scripts/sim-hosts.sh),
// each node engine reached over mutual TLS at a port published on its host, the nodes joined into one
// swarm across hosts over the hosts' own swarm and an attachable overlay network per cluster; a host
// killed under it is declared down, its node re-created on another host, and cleared when it returns.
describe('clusters over several Docker hosts', () => {
  const fleet = new SimFleet('multi');
  // A host silent for 6 s is down (30 s by default), so the test does not wait half a minute.
  const server = new TestServer('multi', { env: { CARINA_HOST_DOWN_AFTER_MS: '6000' } });
  let hosts: SimHost[] = [];
  let api: ApiClient;
  let bundle = '';
  let id = '';

  /** The names of a cluster's node containers on one host. */
  const nodesOn = async (h: SimHost, clusterId: string): Promise<string[]> =>
    (await fleet.docker(h, ['ps', '-a', '--filter', `label=carina.cluster.id=${clusterId}`, '--format', '{{.Names}}'])).split('\n').filter((l) => l !== '');

  beforeAll(async () => {
    hosts = parseHosts(await fleet.sim('up', '3'));
    await server.start();
    // As an operator would: each engine probed over mutual TLS and stored with what it has.
    for (const h of hosts) expect(await server.admin('hosts', 'add', h.name, '--docker-host', h.dockerHost, '--tls-dir', h.tlsDir)).toMatch(/^Added host /);
    api = new ApiClient(server.url, await server.createAccount('hana'));
    id = (await api.request('POST', '/v1/clusters', { name: 'spread', nodes: 3 })).body.id;
    await api.waitFor('spread', (c) => c.status === 'active', 240_000);
    bundle = (await extractBundle((await api.request('GET', '/v1/clusters/spread/credentials')).body as Buffer)).dir;
  }, 400_000);
  afterAll(async () => {
    await server.cleanup();
    await fleet.sim('down');
  });

  /** The cluster's swarm members as `docker node ls` shows them through the gateway. */
  const members = async () =>
    (await dockerWithBundle(bundle, ['node', 'ls', '--format', '{{.Hostname}} {{.Status}} {{.ManagerStatus}}'])).trim().split('\n').map((l) => l.trim()).sort();
  /** The nodes of the running replicas of service web. */
  const runningOn = async (want: number): Promise<string[]> => {
    let running: string[] = [];
    for (let i = 0; i < 300; i++) {
      running = (await dockerWithBundle(bundle, ['service', 'ps', 'web', '--filter', 'desired-state=running', '--format', '{{.Node}} {{.CurrentState}}']))
        .trim().split('\n').filter((l) => l.includes('Running'));
      if (running.length === want) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    return running.map((l) => l.split(' ')[0] ?? '').sort();
  };
  /** The size of the page every replica of web serves, fetched by the service's name from a container on the manager. */
  const pages = async () =>
    (await dockerWithBundle(bundle, [
      'run', '--rm', '--network', 'app', 'carina/busybox', 'sh', '-c',
      // The answer's addresses only (busybox's nslookup names its server's address first).
      'for ip in $(nslookup tasks.web 2>/dev/null | sed -n "/^Name:/,\\$ s/^Address: *//p"); do wget -q -O - http://$ip:8080/ | wc -c; done',
    ])).trim().split('\n').map(Number);

  it('puts one node on each host and joins them into one swarm the user reaches through the gateway', async () => {
    const detail = await api.request('GET', '/v1/clusters/spread');
    expect(detail.body).toMatchObject({ status: 'active', nodes: 3, nodes_ready: 3 });
    for (const [i, h] of hosts.entries()) expect(await nodesOn(h, id)).toEqual([`carina-${id}-n${i}`]);
    expect(await members()).toEqual(['spread-0 Ready Leader', 'spread-1 Ready', 'spread-2 Ready']);
  });

  it('runs a service whose replicas on different hosts answer each other over a tenant overlay network', async () => {
    await dockerWithBundle(bundle, ['network', 'create', '--driver', 'overlay', '--attachable', 'app']);
    // A payload larger than 1,400 bytes: an overlay inside the hosts' overlay must not drop big packets.
    const page = 'x'.repeat(60_000);
    await dockerWithBundle(bundle, [
      'service', 'create', '--detach', '--name', 'web', '--network', 'app', '--replicas', '3', '--replicas-max-per-node', '1', '--endpoint-mode', 'dnsrr',
      'carina/busybox', 'sh', '-c', `mkdir -p /www && printf '%s' '${page}' > /www/index.html && httpd -f -p 8080 -h /www`,
    ]);
    expect(await runningOn(3)).toEqual(['spread-0', 'spread-1', 'spread-2']);
    expect(await pages()).toEqual([60_000, 60_000, 60_000]);
  });

  it('re-creates the node of a killed host on another one, and clears the host when it comes back', async () => {
    const lost = hosts[2] as SimHost;
    const killedAt = Date.now();
    await fleet.sim('kill', lost.name);
    await api.waitFor('spread', (c) => c.status === 'rebuilding', 60_000);
    const back = await api.waitFor('spread', (c) => c.status === 'active' && c.nodes_ready === 3, 180_000);
    console.log(`host killed → cluster active with 3 Ready nodes: ${((Date.now() - killedAt) / 1000).toFixed(1)} s`);
    expect(back).toMatchObject({ nodes: 3, nodes_ready: 3 });
    const moved = [...(await nodesOn(hosts[0] as SimHost, id)), ...(await nodesOn(hosts[1] as SimHost, id))].sort();
    expect(moved).toEqual([`carina-${id}-n0`, `carina-${id}-n1`, `carina-${id}-n2`]);
    // The old member is gone from the swarm, the replacement joined under the same name; the service is whole again.
    expect(await members()).toEqual(['spread-0 Ready Leader', 'spread-1 Ready', 'spread-2 Ready']);
    expect((await runningOn(3)).length).toBe(3);
    expect(await pages()).toEqual([60_000, 60_000, 60_000]);
    const events = ((await api.request('GET', '/v1/clusters/spread/events')).body.events as { message: string }[]).map((e) => e.message);
    expect(events.some((m) => m.startsWith(`host ${lost.name} is down: re-creating node 2 → `))).toBe(true);

    // Back: its old node is removed (not resurrected beside its replacement) and it takes nodes again.
    await fleet.sim('start', lost.name);
    const readmitted = async () => (JSON.parse(await server.admin('hosts', 'list', '--json')) as { name: string; state: string }[]).find((h) => h.name === lost.name)?.state;
    for (let i = 0; i < 150 && (await readmitted()) !== 'ready'; i++) await new Promise((r) => setTimeout(r, 200));
    expect(await readmitted()).toBe('ready');
    expect(await nodesOn(lost, id)).toEqual([]);
    expect(await fleet.docker(lost, ['volume', 'ls', '-q', '--filter', `label=carina.cluster.id=${id}`])).toBe('');
    expect(await members()).toEqual(['spread-0 Ready Leader', 'spread-1 Ready', 'spread-2 Ready']);
  });

  it('removes every node, volume and the overlay network from the hosts when the cluster is deleted', async () => {
    expect((await api.request('DELETE', '/v1/clusters/spread')).status).toBe(202);
    await api.waitGone('spread', 120_000);
    for (const h of hosts) {
      expect(await nodesOn(h, id)).toEqual([]);
      expect(await fleet.docker(h, ['volume', 'ls', '-q', '--filter', `label=carina.cluster.id=${id}`])).toBe('');
    }
    expect(await fleet.docker(hosts[0] as SimHost, ['network', 'ls', '-q', '--filter', `label=carina.cluster.id=${id}`])).toBe('');
  });
});
