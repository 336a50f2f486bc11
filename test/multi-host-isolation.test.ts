import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from './support/api-client.js';
import { dockerWithBundle, extractBundle } from './support/docker-cli.js';
import { TestServer } from './support/server.js';
import { parseHosts, SimFleet, type SimHost } from './support/sim-hosts.js';

// Issue 13, "Isolation holds across hosts": two tenants' clusters spread over the same two simulated
// hosts. From inside cluster A — a container on the manager's default bridge, and one on a tenant
// overlay network — every address of cluster B's nodes, every host's engine and swarm ports and every
// node engine's published port must be closed, while A's own nodes and the world outside still answer.
// (This machine's network accepts any TCP connection to an address it does not route itself, so an
// unguarded packet towards B's overlay addresses looks "open": only a drop on the host closes it.)

interface Target {
  readonly what: string;
  readonly address: string;
  readonly port: number;
}

/** Port of the node engines inside their containers (published on a free port of the host). */
const NODE_ENGINE_PORT = 2376;

/** A shell script that tries each target at once (busybox nc: no -z, a closed stdin ends it) and prints `ADDRESS:PORT open|closed`. */
const probeScript = (targets: readonly Target[]): string =>
  `${targets.map((t) => `(if nc -w 2 ${t.address} ${t.port} </dev/null >/dev/null 2>&1; then echo "${t.address}:${t.port} open"; else echo "${t.address}:${t.port} closed"; fi) &`).join('\n')}\nwait`;

/** Each target's outcome as `what ADDRESS:PORT open|closed`, in the targets' order. */
const outcomes = (targets: readonly Target[], printed: string): string[] => {
  const seen = new Map(printed.trim().split('\n').map((line) => line.trim().split(' ') as [string, string]));
  return targets.map((t) => `${t.what} ${t.address}:${t.port} ${seen.get(`${t.address}:${t.port}`) ?? 'no answer'}`);
};

const run = promisify(execFile);

describe('isolation between clusters over several Docker hosts', () => {
  const fleet = new SimFleet('iso');
  const server = new TestServer('mhiso');
  let hosts: SimHost[] = [];
  let alice: ApiClient;
  let bob: ApiClient;
  let bundle = '';
  let ids = { a: '', b: '' };
  /** A listener of this machine on the hosts' network: what stands for the world outside. */
  let outside: Server | undefined;

  /** Every node container of a cluster over the hosts, as `docker inspect` on its host shows it. */
  const nodesOf = async (clusterId: string) => {
    const found: { host: SimHost; overlay: string; gwbridge: string; published: number }[] = [];
    for (const host of hosts) {
      const names = (await fleet.docker(host, ['ps', '--filter', `label=carina.cluster.id=${clusterId}`, '--format', '{{.Names}}'])).split('\n').filter((n) => n !== '');
      if (names.length === 0) continue;
      const bridge = JSON.parse(await fleet.docker(host, ['network', 'inspect', 'docker_gwbridge']))[0].Containers as Record<string, { IPv4Address: string }>;
      for (const c of JSON.parse(await fleet.docker(host, ['inspect', ...names])) as any[]) {
        found.push({
          host,
          overlay: c.NetworkSettings.Networks[`carina-${clusterId}`].IPAddress,
          gwbridge: (bridge[c.Id]?.IPv4Address ?? '').split('/')[0] ?? '',
          published: Number(c.NetworkSettings.Ports[`${NODE_ENGINE_PORT}/tcp`][0].HostPort),
        });
      }
    }
    return found;
  };
  const hostAddress = (h: SimHost) => new URL(h.dockerHost.replace(/^tcp:/, 'http:')).hostname;

  beforeAll(async () => {
    hosts = parseHosts(await fleet.sim('up', '2'));
    await server.start();
    for (const h of hosts) expect(await server.admin('hosts', 'add', h.name, '--docker-host', h.dockerHost, '--tls-dir', h.tlsDir)).toMatch(/^Added host /);
    alice = new ApiClient(server.url, await server.createAccount('alice'));
    bob = new ApiClient(server.url, await server.createAccount('bob'));
    // Two nodes each, spread over both hosts: each host runs a node of A beside a node of B.
    ids = {
      a: (await alice.request('POST', '/v1/clusters', { name: 'a', nodes: 2 })).body.id,
      b: (await bob.request('POST', '/v1/clusters', { name: 'b', nodes: 2 })).body.id,
    };
    await Promise.all([alice.waitFor('a', (c) => c.status === 'active', 300_000), bob.waitFor('b', (c) => c.status === 'active', 300_000)]);
    bundle = (await extractBundle((await alice.request('GET', '/v1/clusters/a/credentials')).body as Buffer)).dir;
    await dockerWithBundle(bundle, ['network', 'create', '--driver', 'overlay', '--attachable', 'app']);
    outside = createServer((socket) => socket.end());
    await new Promise<void>((resolve) => outside?.listen(0, '0.0.0.0', resolve));
  }, 480_000);
  afterAll(async () => {
    outside?.close();
    await server.cleanup();
    await fleet.sim('down');
  });

  it("closes B's nodes, the hosts' engine and swarm ports and every published node engine to A's containers, and keeps A's own nodes and the outside open", async () => {
    const [a, b] = await Promise.all([nodesOf(ids.a), nodesOf(ids.b)]);
    expect(new Set(a.map((n) => n.host.name)).size).toBe(2);
    expect(new Set(b.map((n) => n.host.name)).size).toBe(2);
    const closed: Target[] = [
      ...b.flatMap((n) => [2376, 2377, 7946].map((port) => ({ what: "B's node (overlay)", address: n.overlay, port }))),
      // docker_gwbridge addresses are the host's own: B's node beside A's manager, on the first host.
      ...b.filter((n) => n.host === hosts[0]).flatMap((n) => [2376, 2377, 7946].map((port) => ({ what: "B's node (docker_gwbridge)", address: n.gwbridge, port }))),
      ...hosts.flatMap((h) => [2376, 2377, 7946].map((port) => ({ what: `host ${h.name}`, address: hostAddress(h), port }))),
      ...[...a, ...b].map((n) => ({ what: `published node engine on ${n.host.name}`, address: hostAddress(n.host), port: n.published })),
    ];
    const gateway = fleet.subnet.replace(/0\/24$/, '1');
    const port = (outside?.address() as { port: number }).port;
    const open: Target[] = [
      ...a.map((n) => ({ what: "A's node (overlay)", address: n.overlay, port: 7946 })),
      { what: "A's manager (overlay)", address: a.find((n) => n.host.name === hosts[0]?.name)?.overlay ?? '', port: 2377 },
      { what: 'a listener outside the hosts', address: gateway, port },
    ];
    const targets = [...closed, ...open];
    const expected = [...closed.map((t) => `${t.what} ${t.address}:${t.port} closed`), ...open.map((t) => `${t.what} ${t.address}:${t.port} open`)];
    // A's manager runs `docker run` (node 0, on the first host); B's nodes sit on both hosts.
    const script = probeScript(targets);
    const onBridge = await dockerWithBundle(bundle, ['run', '--rm', 'carina/busybox', 'sh', '-c', script], 90_000);
    expect(outcomes(targets, onBridge)).toEqual(expected);
    const onOverlay = await dockerWithBundle(bundle, ['run', '--rm', '--network', 'app', 'carina/busybox', 'sh', '-c', script], 90_000);
    expect(outcomes(targets, onOverlay)).toEqual(expected);
    // What closes them: a guard on each host, in the host's network namespace with no privilege but NET_ADMIN.
    for (const h of hosts) {
      const guard = JSON.parse(await fleet.docker(h, ['inspect', 'carina-host-guard']))[0];
      expect({ running: guard.State.Running, network: guard.HostConfig.NetworkMode, caps: guard.HostConfig.CapAdd, drop: guard.HostConfig.CapDrop })
        .toEqual({ running: true, network: 'host', caps: ['NET_ADMIN'], drop: ['ALL'] });
    }
  });

  it("installs the rules again when the host's firewall loses them (a dockerd restart, a firewall reload)", async () => {
    const first = hosts[0] as SimHost;
    // On the simulated host itself (a container of this machine's engine), as its own firewall tooling would.
    const iptables = async (...args: string[]) => (await run('docker', ['exec', first.name, 'iptables', '-w', ...args])).stdout;
    await iptables('-D', 'INPUT', '-j', 'CARINA-GUARD-IN');
    await iptables('-F', 'CARINA-GUARD-IN');
    const target = `${hostAddress(first)} 2376`;
    let printed = '';
    for (let i = 0; i < 15 && printed !== 'closed'; i++) {
      await new Promise((r) => setTimeout(r, 2_000));
      printed = (await dockerWithBundle(bundle, ['run', '--rm', 'carina/busybox', 'sh', '-c', `nc -w 2 ${target} </dev/null >/dev/null 2>&1 && echo open || echo closed`])).trim();
    }
    expect(printed).toBe('closed');
    expect(await iptables('-S', 'INPUT')).toContain('-A INPUT -j CARINA-GUARD-IN');
  });

  it("keeps A's swarm working across the hosts: a service's replicas on both hosts answer over the tenant overlay", async () => {
    await dockerWithBundle(bundle, [
      'service', 'create', '--detach', '--name', 'web', '--network', 'app', '--replicas', '2', '--replicas-max-per-node', '1', '--endpoint-mode', 'dnsrr',
      'carina/busybox', 'sh', '-c', "mkdir -p /www && printf '%s' hello > /www/index.html && httpd -f -p 8080 -h /www",
    ]);
    let answers: string[] = [];
    for (let i = 0; i < 60 && answers.length < 2; i++) {
      const out = await dockerWithBundle(bundle, [
        'run', '--rm', '--network', 'app', 'carina/busybox', 'sh', '-c',
        'for ip in $(nslookup tasks.web 2>/dev/null | sed -n "/^Name:/,\\$ s/^Address: *//p"); do wget -q -O - http://$ip:8080/; echo; done',
      ]);
      answers = out.trim().split('\n').filter((l) => l === 'hello');
      if (answers.length < 2) await new Promise((r) => setTimeout(r, 1_000));
    }
    expect(answers).toEqual(['hello', 'hello']);
  });
});
