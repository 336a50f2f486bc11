import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from './support/api-client.js';
import { dockerWithBundle, extractBundle } from './support/docker-cli.js';
import { TestServer } from './support/server.js';
import { parseHosts, SimFleet, type SimHost } from './support/sim-hosts.js';

// Issue 13: a cluster's nodes placed over registered Docker hosts (simulated: scripts/sim-hosts.sh),
// each node engine reached over mutual TLS at a port published on its host, the nodes joined into one
// swarm across hosts over the hosts' own swarm and an attachable overlay network per cluster.
describe('clusters over several Docker hosts', () => {
  const fleet = new SimFleet('multi');
  const server = new TestServer('multi');
  let hosts: SimHost[] = [];
  let api: ApiClient;
  let bundle = '';
  let id = '';

  /** The names of a cluster's node containers on one host. */
  const nodesOn = async (h: SimHost, clusterId: string): Promise<string[]> =>
    (await fleet.docker(h, ['ps', '-a', '--filter', `label=carina.cluster.id=${clusterId}`, '--format', '{{.Names}}'])).split('\n').filter((l) => l !== '');

  beforeAll(async () => {
    hosts = parseHosts(await fleet.sim('up', '2'));
    await server.start();
    // As an operator would: each engine probed over mutual TLS and stored with what it has.
    for (const h of hosts) expect(await server.admin('hosts', 'add', h.name, '--docker-host', h.dockerHost, '--tls-dir', h.tlsDir)).toMatch(/^Added host /);
    api = new ApiClient(server.url, await server.createAccount('hana'));
    id = (await api.request('POST', '/v1/clusters', { name: 'spread', nodes: 2 })).body.id;
    await api.waitFor('spread', (c) => c.status === 'active', 240_000);
    bundle = (await extractBundle((await api.request('GET', '/v1/clusters/spread/credentials')).body as Buffer)).dir;
  }, 400_000);
  afterAll(async () => {
    await server.cleanup();
    await fleet.sim('down');
  });

  it('puts one node on each host and joins them into one swarm the user reaches through the gateway', async () => {
    const detail = await api.request('GET', '/v1/clusters/spread');
    expect(detail.body).toMatchObject({ status: 'active', nodes: 2, nodes_ready: 2 });
    const [first, second] = hosts as [SimHost, SimHost];
    expect(await nodesOn(first, id)).toEqual([`carina-${id}-n0`]);
    expect(await nodesOn(second, id)).toEqual([`carina-${id}-n1`]);
    const nodes = (await dockerWithBundle(bundle, ['node', 'ls', '--format', '{{.Hostname}} {{.Status}} {{.ManagerStatus}}'])).trim().split('\n').map((l) => l.trim()).sort();
    expect(nodes).toEqual(['spread-0 Ready Leader', 'spread-1 Ready']);
  });

  it('runs a service whose replicas on different hosts answer each other over a tenant overlay network', async () => {
    await dockerWithBundle(bundle, ['network', 'create', '--driver', 'overlay', '--attachable', 'app']);
    // A payload larger than 1,400 bytes: an overlay inside the hosts' overlay must not drop big packets.
    const page = 'x'.repeat(60_000);
    await dockerWithBundle(bundle, [
      'service', 'create', '--detach', '--name', 'web', '--network', 'app', '--replicas', '2', '--replicas-max-per-node', '1', '--endpoint-mode', 'dnsrr',
      'carina/busybox', 'sh', '-c', `mkdir -p /www && printf '%s' '${page}' > /www/index.html && httpd -f -p 8080 -h /www`,
    ]);
    let running: string[] = [];
    for (let i = 0; i < 150 && running.length < 2; i++) {
      running = (await dockerWithBundle(bundle, ['service', 'ps', 'web', '--filter', 'desired-state=running', '--format', '{{.Node}} {{.CurrentState}}']))
        .trim().split('\n').filter((l) => l.includes('Running'));
      if (running.length < 2) await new Promise((r) => setTimeout(r, 200));
    }
    expect(new Set(running.map((l) => l.split(' ')[0]))).toEqual(new Set(['spread-0', 'spread-1']));
    // From a container on the manager (host 1), fetch the page from every replica by the service's name.
    const fetched = await dockerWithBundle(bundle, [
      'run', '--rm', '--network', 'app', 'carina/busybox', 'sh', '-c',
      // The answer's addresses only (busybox's nslookup names its server's address first).
      'for ip in $(nslookup tasks.web 2>/dev/null | sed -n "/^Name:/,\\$ s/^Address: *//p"); do wget -q -O - http://$ip:8080/ | wc -c; done',
    ]);
    expect(fetched.trim().split('\n').map(Number)).toEqual([60_000, 60_000]);
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
