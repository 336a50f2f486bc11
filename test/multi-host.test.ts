import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from './support/api-client.js';
import { CliSandbox } from './support/cli.js';
import { dockerWithBundle, extractBundle } from './support/docker-cli.js';
import { outcomes, probeScript, type Target } from './support/reach-probes.js';
import { TestServer } from './support/server.js';
import { parseHosts, SimFleet, type SimHost } from './support/sim-hosts.js';

const run = promisify(execFile);
/** Port of the node engines inside their containers (published on a free port of the host). */
const NODE_ENGINE_PORT = 2376;

// Issue 13: a cluster's nodes placed over registered Docker hosts (simulated: scripts/sim-hosts.sh),
// each node engine reached over mutual TLS at a port published on its host, the nodes joined into one
// swarm across hosts over the hosts' own swarm and an attachable overlay network per cluster; a host
// killed under it is declared down, its node re-created on another host, and cleared when it returns.
// A second tenant's cluster shares the hosts: nothing of it, of the hosts' engines and swarm ports or
// of any published node engine answers a container of the first ("Isolation holds across hosts").
// (This machine's network accepts any TCP connection to an address it does not route itself, so an
// unguarded packet towards another cluster's overlay addresses looks "open": only a drop on the host closes it.)
// One file, one fleet: the node image is copied to each simulated host once (≈400 MB).
describe('clusters over several Docker hosts', () => {
  const fleet = new SimFleet('multi');
  // A host silent for 6 s is down (30 s by default), so the test does not wait half a minute.
  const server = new TestServer('multi', { env: { CARINA_HOST_DOWN_AFTER_MS: '6000' } });
  let hosts: SimHost[] = [];
  let api: ApiClient;
  let bundle = '';
  let id = '';
  let bobId = '';
  let registry = '';
  let hanaKey = '';
  /** A listener of this machine on the hosts' network: what stands for the world outside. */
  let outside: Server | undefined;

  /** The names of a cluster's node containers on one host. */
  const nodesOn = async (h: SimHost, clusterId: string): Promise<string[]> =>
    (await fleet.docker(h, ['ps', '-a', '--filter', `label=carina.cluster.id=${clusterId}`, '--format', '{{.Names}}'])).split('\n').filter((l) => l !== '');

  beforeAll(async () => {
    // The platform registry where the hosts' nodes reach it: this machine's address on the hosts' network.
    registry = `${fleet.subnet.replace(/\.0\/24$/, '.1')}:${server.env.CARINA_REGISTRY_PORT ?? ''}`;
    // The control plane first: it starts the machine's lxcfs (CI installs it but nothing has started it
    // when this file runs first), which scripts/sim-hosts.sh binds into each host it creates. The hosts'
    // network (and so the registry's address on it) does not exist yet: the registry listens once it does.
    await server.start({ CARINA_REGISTRY: 'on', CARINA_REGISTRY_ADDRESS: registry });
    hosts = parseHosts(await fleet.sim('up', '3'));
    // As an operator would: each engine probed over mutual TLS and stored with what it has.
    for (const h of hosts) expect(await server.admin('hosts', 'add', h.name, '--docker-host', h.dockerHost, '--tls-dir', h.tlsDir)).toMatch(/^Added host /);
    hanaKey = await server.createAccount('hana');
    api = new ApiClient(server.url, hanaKey);
    const bob = new ApiClient(server.url, await server.createAccount('bob'));
    id = (await api.request('POST', '/v1/clusters', { name: 'spread', nodes: 3 })).body.id;
    bobId = (await bob.request('POST', '/v1/clusters', { name: 'b', nodes: 2 })).body.id;
    await Promise.all([api.waitFor('spread', (c) => c.status === 'active', 300_000), bob.waitFor('b', (c) => c.status === 'active', 300_000)]);
    bundle = (await extractBundle((await api.request('GET', '/v1/clusters/spread/credentials')).body as Buffer)).dir;
    outside = createServer((socket) => socket.end());
    await new Promise<void>((resolve) => outside?.listen(0, '0.0.0.0', resolve));
  }, 480_000);
  afterAll(async () => {
    outside?.close();
    await hana?.cleanup();
    await server.cleanup();
    await fleet.sim('down');
  });

  /** Every node container of a cluster over the hosts, as `docker inspect` on its host shows it. */
  const nodesOf = async (clusterId: string) => {
    const found: { host: SimHost; overlay: string; gwbridge: string; published: number }[] = [];
    for (const host of hosts) {
      const names = await nodesOn(host, clusterId);
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

  /** The cluster's swarm members as `docker node ls` shows them through the gateway (a manager, whichever leads, as `manager`). */
  const members = async () =>
    (await dockerWithBundle(bundle, ['node', 'ls', '--format', '{{.Hostname}} {{.Status}} {{.ManagerStatus}}']))
      .trim().split('\n').map((l) => l.trim().replace(/ (Leader|Reachable)$/, ' manager')).sort();
  /** 3 nodes on 3 hosts: 3 swarm managers, so losing any one host loses no swarm state. */
  const THREE_MANAGERS = ['spread-0 Ready manager', 'spread-1 Ready manager', 'spread-2 Ready manager'];
  /**
   * The hosts' own swarm as `via` (a manager host) lists it, a line per member, sorted: `ADDRESS worker`,
   * or `ADDRESS manager reachable` for a seat in its Raft (a promotion Docker could not carry out shows
   * `manager` alone).
   */
  const hostSwarm = async (via: SimHost) => {
    const ids = (await fleet.docker(via, ['node', 'ls', '-q'])).trim().split('\n');
    const format = '{{.Status.Addr}} {{.Spec.Role}}{{if .ManagerStatus}} {{.ManagerStatus.Reachability}}{{end}}';
    return (await fleet.docker(via, ['node', 'inspect', ...ids, '--format', format])).trim().split('\n').sort();
  };
  const roles = (managers: SimHost[], workers: SimHost[]) =>
    [...managers.map((h) => `${hostAddress(h)} manager reachable`), ...workers.map((h) => `${hostAddress(h)} worker`)].sort();
  /** Waits (at most `ms`) for the hosts' swarm to look as `want`, then checks it. */
  const expectHostSwarm = async (via: SimHost, want: string[], ms = 30_000) => {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline && JSON.stringify(await hostSwarm(via)) !== JSON.stringify(want)) await new Promise((r) => setTimeout(r, 500));
    expect(await hostSwarm(via)).toEqual(want);
  };
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
      // The answer's addresses only (busybox's nslookup names its server's address first). A replica
      // that is moving may still be named while its address no longer answers: 5 s each, then 0 bytes.
      'for ip in $(nslookup tasks.web 2>/dev/null | sed -n "/^Name:/,\\$ s/^Address: *//p"); do timeout 5 wget -q -O - http://$ip:8080/ | wc -c; done',
    ])).trim().split('\n').map(Number);

  it('puts one node on each host and joins them into one swarm the user reaches through the gateway', async () => {
    const detail = await api.request('GET', '/v1/clusters/spread');
    expect(detail.body).toMatchObject({ status: 'active', nodes: 3, nodes_ready: 3 });
    for (const [i, h] of hosts.entries()) expect(await nodesOn(h, id)).toEqual([`carina-${id}-n${i}`]);
    expect(await members()).toEqual(THREE_MANAGERS);
  });

  it("runs each node as an unprivileged host user (the hosts' engines remap users): root in a node is not root on its host", async () => {
    for (const [i, h] of hosts.entries()) {
      const node = `carina-${id}-n${i}`;
      // Seen from the host: the node's root is host uid 100000 (the remapped root of scripts/sim-hosts.sh's hosts).
      expect(await fleet.docker(h, ['exec', node, 'cat', '/proc/self/uid_map'])).toMatch(/^0\s+100000\s+65536$/);
      // As root in the node: a fresh /proc of its own, but the host's kernel settings stay out of reach.
      const tried = await fleet.docker(h, ['exec', node, 'sh', '-c', 'mkdir -p /tmp/p && mount -t proc proc /tmp/p && { echo core > /tmp/p/sys/kernel/core_pattern 2>/dev/null && echo wrote || echo refused; }']);
      expect(tried).toBe('refused');
      // Its cgroups were handed to that user, or no container could start in it (the service below runs one on every node).
      expect(await fleet.docker(h, ['inspect', '--format', '{{.HostConfig.UsernsMode}} {{.HostConfig.PidMode}} {{.HostConfig.CapAdd}}', 'carina-host-cgroups'])).toBe('host host [CHOWN]');
    }
  });

  it("reports its flavor's memory on every host, from the host's lxcfs", async () => {
    // CI installs lxcfs on the machine, and scripts/sim-hosts.sh binds it into each host as a real host runs its own.
    for (const [i, h] of hosts.entries()) {
      expect(await fleet.docker(h, ['exec', `carina-${id}-n${i}`, 'head', '-n', '1', '/proc/meminfo'])).toMatch(/^MemTotal:\s+4194304 kB$/);
    }
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

  let hana: CliSandbox | undefined;
  it("runs an image pushed to the platform's registry on the nodes of every host", async () => {
    hana = new CliSandbox('multi-hana', { CARINA_ENDPOINT: server.url, CARINA_USERNAME: 'hana', CARINA_APIKEY: hanaKey, CI: 'true' });
    const push = await hana.shell('bash', `carina registry login >/dev/null
docker tag carina/busybox:latest ${registry}/hana/tool:1
docker push -q ${registry}/hana/tool:1 && docker rmi ${registry}/hana/tool:1 >/dev/null`, {}, 120_000); // (the tag, not left on this machine's engine)
    expect(push.code, `${push.stdout}\n${push.stderr}`).toBe(0);
    // Pulled by each node's own engine, which trusts the registry's CA (put into nodes on hosts before their first start).
    await dockerWithBundle(bundle, ['service', 'create', '--detach', '--name', 'tool', '--replicas', '3', '--replicas-max-per-node', '1', `${registry}/hana/tool:1`, 'sleep', '600']);
    let running: string[] = [];
    for (let i = 0; i < 300 && running.length < 3; i++) {
      running = (await dockerWithBundle(bundle, ['service', 'ps', 'tool', '--filter', 'desired-state=running', '--format', '{{.Node}} {{.CurrentState}} {{.Error}}'])).trim().split('\n').filter((l) => l.includes('Running'));
      if (running.length < 3) await new Promise((r) => setTimeout(r, 200));
    }
    expect(running.map((l) => l.split(' ')[0]).sort()).toEqual(['spread-0', 'spread-1', 'spread-2']);
    await dockerWithBundle(bundle, ['service', 'rm', 'tool']);
  });

  it("closes the other tenant's nodes, the hosts' engine and swarm ports, every published node engine and the control plane's private ports to a tenant's containers, and keeps its own nodes, the registry and the outside open", async () => {
    const [a, b] = await Promise.all([nodesOf(id), nodesOf(bobId)]);
    expect(new Set(a.map((n) => n.host.name)).size).toBe(3);
    expect(new Set(b.map((n) => n.host.name)).size).toBe(2);
    const closed: Target[] = [
      ...b.flatMap((n) => [2376, 2377, 7946].map((port) => ({ what: "B's node (overlay)", address: n.overlay, port }))),
      // docker_gwbridge addresses are the host's own: B's nodes beside A's manager, on the first host.
      ...b.filter((n) => n.host === hosts[0]).flatMap((n) => [2376, 2377, 7946].map((port) => ({ what: "B's node (docker_gwbridge)", address: n.gwbridge, port }))),
      ...hosts.flatMap((h) => [2376, 2377, 7946].map((port) => ({ what: `host ${h.name}`, address: hostAddress(h), port }))),
      ...[...a, ...b].map((n) => ({ what: `published node engine on ${n.host.name}`, address: hostAddress(n.host), port: n.published })),
    ];
    // This machine is both the control plane (at its address on the hosts' network, the registry's) and,
    // at the address of its default route, the world outside: the same listener is closed at the first and open at the second.
    const gateway = fleet.subnet.replace(/0\/24$/, '1');
    const port = (outside?.address() as { port: number }).port;
    const world = /\bsrc (\S+)/.exec((await run('ip', ['-4', '-o', 'route', 'get', '1.1.1.1'])).stdout)?.[1] ?? '';
    closed.push({ what: 'the control plane, a port no client needs', address: gateway, port });
    const open: Target[] = [
      ...a.map((n) => ({ what: "A's node (overlay)", address: n.overlay, port: 7946 })),
      { what: "A's manager (overlay)", address: a.find((n) => n.host.name === hosts[0]?.name)?.overlay ?? '', port: 2377 },
      { what: "the control plane's registry", address: gateway, port: Number(registry.split(':')[1]) },
      { what: 'a listener outside the hosts', address: world, port },
    ];
    const targets = [...closed, ...open];
    const expected = [...closed.map((t) => `${t.what} ${t.address}:${t.port} closed`), ...open.map((t) => `${t.what} ${t.address}:${t.port} open`)];
    // A's manager runs `docker run` (node 0, on the first host); B's nodes sit on two of the hosts.
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

  it("installs the guard's rules again when the host's firewall loses them (a dockerd restart, a firewall reload)", async () => {
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

  it('moves the nodes of a drained host to other hosts, one at a time, with the service answering throughout', async () => {
    // A fourth host, empty: node 1 moves there, so the 3 manager seats stay on 3 hosts.
    hosts = parseHosts(await fleet.sim('up', '4'));
    const added = hosts[3] as SimHost;
    expect(await server.admin('hosts', 'add', added.name, '--docker-host', added.dockerHost, '--tls-dir', added.tlsDir)).toMatch(/^Added host /);
    const drained = hosts[1] as SimHost; // holds node 1, a manager
    expect((await nodesOn(drained, id)).length).toBeGreaterThan(0);
    expect(await server.admin('hosts', 'drain', drained.name)).toMatch(/^Host .* is draining: no new node is placed there; the control plane moves its \d+ nodes? to other hosts/);
    // Whatever happens below, the host takes nodes again afterwards: the tests after this one place nodes on it.
    try {
      const served: number[] = [];
      // The swarm's Ready nodes open to tasks, as `docker node ls` lists them (a sample the gateway could not answer while managers changed is left out).
      const working: number[] = [];
      const sample = async () => {
        served.push((await pages()).filter((size) => size === 60_000).length);
        const listed = await dockerWithBundle(bundle, ['node', 'ls', '--format', '{{.Status}} {{.Availability}}']).catch(() => undefined);
        if (listed !== undefined) working.push(listed.trim().split('\n').filter((l) => l.trim() === 'Ready Active').length);
      };
      const everyNode = async () => (await Promise.all(hosts.map((h) => nodesOn(h, id)))).flat().sort();
      const deadline = Date.now() + 240_000;
      while (Date.now() < deadline && (await nodesOn(drained, id)).length > 0) await sample();
      expect(await nodesOn(drained, id)).toEqual([]);
      // Then the stand-in leaves, once node 1 joined again on its new host.
      while (Date.now() < deadline && (await everyNode()).length > 3) await sample();
      expect(await everyNode()).toEqual([`carina-${id}-n0`, `carina-${id}-n1`, `carina-${id}-n2`]);
      // While nodes moved, whole pages kept coming from at least 2 replicas (a drained node's task moves before the node goes),
      // and the swarm never had fewer than its 3 working nodes: the stand-in joined before node 1 was drained.
      expect(served.length).toBeGreaterThan(0);
      expect(served.filter((n) => n < 2)).toEqual([]);
      expect(working.length).toBeGreaterThan(0);
      expect(working.filter((n) => n < 3)).toEqual([]);
      await api.waitFor('spread', (c) => c.status === 'active' && c.nodes_ready === 3, 120_000);
      expect(await nodesOn(added, id)).toEqual([`carina-${id}-n1`]);
      expect(await members()).toEqual(THREE_MANAGERS);
      expect((await runningOn(3)).length).toBe(3);
      expect(await pages()).toEqual([60_000, 60_000, 60_000]);
      const events = ((await api.request('GET', '/v1/clusters/spread/events')).body.events as { message: string }[]).map((e) => e.message);
      // In this order: the stand-in joined, node 1 left and joined again on its new host, the stand-in left.
      const steps = [
        new RegExp(`^host ${drained.name} is draining: stand-in node 3 joins on \\S+ first, then node 1 moves off it$`),
        /^node 3 joined the swarm$/,
        new RegExp(`^node 1 left draining host ${drained.name}: re-creating it on \\S+$`),
        /^node 1 joined the swarm as a manager$/,
        /^the nodes moved off draining hosts have joined again: stand-in node 3 leaves$/,
        /^node 3 left the swarm and was removed$/,
      ];
      let from = 0;
      for (const step of steps) {
        const found = events.findIndex((m, i) => i >= from && step.test(m));
        expect(found, `${step} after event ${from} of:\n${events.join('\n')}`).toBeGreaterThanOrEqual(0);
        from = found + 1;
      }
    } finally {
      await server.admin('hosts', 'ready', drained.name);
    }
  });

  it("re-creates node 0 of a killed host on another one without losing the swarm, and clears the host when it comes back", async () => {
    const lost = hosts[0] as SimHost; // holds node 0, a manager; nodes 1 and 2 (managers on 2 other hosts) keep the quorum
    // The hosts' swarm: its first three hosts manage it, the fourth (added for the drain) works.
    const [, h1, h2, h3] = hosts as [SimHost, SimHost, SimHost, SimHost];
    expect(await hostSwarm(h1)).toEqual(roles([lost, h1, h2], [h3]));
    const service = await dockerWithBundle(bundle, ['service', 'inspect', 'web', '--format', '{{.ID}}']);
    const killedAt = Date.now();
    await fleet.sim('kill', lost.name);
    try {
      await api.waitFor('spread', (c) => c.status === 'rebuilding', 60_000);
      // Meanwhile the gateway follows the swarm to a manager that answers: the service is there and runs.
      let listed = '';
      let failure = '';
      for (let i = 0; i < 60 && !listed.includes(service.trim()); i++) {
        listed = await dockerWithBundle(bundle, ['service', 'inspect', 'web', '--format', '{{.ID}}']).catch((e: unknown) => ((failure = String((e as { stderr?: string }).stderr ?? e)), ''));
        if (!listed.includes(service.trim())) await new Promise((r) => setTimeout(r, 1_000));
      }
      expect(listed, `the last failure: ${failure}`).toContain(service.trim());
      const back = await api.waitFor('spread', (c) => c.status === 'active' && c.nodes_ready === 3, 180_000);
      console.log(`host of node 0 killed → cluster active with 3 Ready nodes: ${((Date.now() - killedAt) / 1000).toFixed(1)} s`);
      expect(back).toMatchObject({ nodes: 3, nodes_ready: 3 });
      const survivors = hosts.filter((h) => h !== lost);
      expect((await Promise.all(survivors.map((h) => nodesOn(h, id)))).flat().sort()).toEqual([`carina-${id}-n0`, `carina-${id}-n1`, `carina-${id}-n2`]);
      // The old member is gone, the replacement joined as a manager under the same name; the same service (no new swarm) is whole again.
      expect(await members()).toEqual(THREE_MANAGERS);
      expect(await dockerWithBundle(bundle, ['service', 'inspect', 'web', '--format', '{{.ID}}'])).toBe(service);
      expect((await runningOn(3)).length).toBe(3);
      expect(await pages()).toEqual([60_000, 60_000, 60_000]);
      const events = ((await api.request('GET', '/v1/clusters/spread/events')).body.events as { message: string }[]).map((e) => e.message);
      expect(events.some((m) => m.startsWith(`host ${lost.name} is down: re-creating node 0 → `)), events.join('\n')).toBe(true);
      expect(events, events.join('\n')).toContain('node 0 joined the swarm as a manager');
      expect(events.filter((m) => m.startsWith('swarm re-formed'))).toEqual([]);
      // The lost host, a manager of the hosts' swarm, is out of it and the worker host sits in its seat:
      // losing one more manager host would not cost the hosts' swarm its quorum.
      await expectHostSwarm(h1, roles([h1, h2, h3], []));
    } finally {
      // Whatever failed above, the host comes back, so the tests after this one find the fleet whole.
      await fleet.sim('start', lost.name);
    }

    // Back: its old node is removed (not resurrected beside its replacement) and it takes nodes again.
    const readmitted = async () => (JSON.parse(await server.admin('hosts', 'list', '--json')) as { name: string; state: string }[]).find((h) => h.name === lost.name)?.state;
    for (let i = 0; i < 150 && (await readmitted()) !== 'ready'; i++) await new Promise((r) => setTimeout(r, 200));
    expect(await readmitted()).toBe('ready');
    expect(await nodesOn(lost, id)).toEqual([]);
    expect(await fleet.docker(lost, ['volume', 'ls', '-q', '--filter', `label=carina.cluster.id=${id}`])).toBe('');
    expect(await members()).toEqual(THREE_MANAGERS);
    // Back, it joins the hosts' swarm again as a worker: the three seats are taken.
    await expectHostSwarm(h1, roles([h1, h2, h3], [lost]), 10_000);
  }, 420_000);

  // ~2 minutes (measured 110 s to active, 124 s in all): past what the CI suite's 30-minute budget leaves,
  // so it runs with CARINA_TEST_LONG=1 (README, "Tests"), as the long campaigns do; the planner's rule is unit-tested in CI.
  it.runIf(process.env.CARINA_TEST_LONG === '1')('recovers the swarm from its last manager when the other two managers are lost at once (force-new-cluster), keeping its services', async () => {
    const service = await dockerWithBundle(bundle, ['service', 'inspect', 'web', '--format', '{{.ID}}']);
    // Nodes 1 and 2 vanish with their data, as with hosts that lost their disks (cheaper here than two
    // more dead hosts: the recovery is the same): their containers and volumes removed on their hosts.
    const lostAt = Date.now();
    for (const h of hosts) {
      for (const name of await nodesOn(h, id)) {
        if (!/-n[12]$/.test(name)) continue;
        await fleet.docker(h, ['rm', '--force', '--volumes', name]);
        await fleet.docker(h, ['volume', 'rm', '--force', `${name}-docker`]);
      }
    }
    await api.waitFor('spread', (c) => c.status === 'rebuilding', 60_000);
    const back = await api.waitFor('spread', (c) => c.status === 'active' && c.nodes_ready === 3, 240_000);
    console.log(`nodes 1 and 2 lost → cluster active with 3 Ready nodes: ${((Date.now() - lostAt) / 1000).toFixed(1)} s`);
    expect(back).toMatchObject({ nodes: 3, nodes_ready: 3 });
    const events = ((await api.request('GET', '/v1/clusters/spread/events')).body.events as { message: string }[]).map((e) => e.message);
    expect(events, events.join('\n')).toContain('swarm recovered on node 0 (--force-new-cluster): the other managers were lost; services, networks and secrets are kept, the other nodes join it again');
    expect(events.filter((m) => m.startsWith('swarm re-formed'))).toEqual([]);
    // The same swarm's services, whole again, with its three managers back.
    expect(await dockerWithBundle(bundle, ['service', 'inspect', 'web', '--format', '{{.ID}}'])).toBe(service);
    expect(await members()).toEqual(THREE_MANAGERS);
    expect((await runningOn(3)).length).toBe(3);
    expect(await pages()).toEqual([60_000, 60_000, 60_000]);
  }, 300_000);

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
