import { execFile } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countLabelled, hostDocker } from './support/server.js';
import { parseHosts, SimFleet, type SimHost } from './support/sim-hosts.js';

const run = promisify(execFile);

// scripts/sim-hosts.sh gives the multi-host work (issue 13) Docker hosts on one machine: each an
// engine over mutual TLS at a fixed address, that can be killed like a lost machine and brought back.
describe('simulated Docker hosts (scripts/sim-hosts.sh)', () => {
  const fleet = new SimFleet('hosts');
  let hosts: SimHost[] = [];
  const ip = (h: SimHost): string => new URL(h.dockerHost.replace(/^tcp:/, 'http:')).hostname;
  const host = (i: number): SimHost => {
    const h = hosts[i];
    if (!h) throw new Error(`no host ${i}: up printed ${hosts.length}`);
    return h;
  };
  /** Whether anything accepts a TCP connection on the host's engine port within 2 s. */
  const listening = (h: SimHost): Promise<boolean> =>
    new Promise((done) => {
      const socket = connect({ host: ip(h), port: 2376, timeout: 2_000 });
      const finish = (ok: boolean) => () => (socket.destroy(), done(ok));
      socket.once('connect', finish(true)).once('timeout', finish(false)).once('error', finish(false));
    });
  const timings: string[] = [];
  const timed = async <T>(what: string, f: () => Promise<T>): Promise<T> => {
    const started = Date.now();
    const result = await f();
    timings.push(`${what} ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return result;
  };

  beforeAll(async () => {
    hosts = parseHosts(await timed('up 2', () => fleet.sim('up', '2')));
  });
  afterAll(async () => {
    console.log(`sim-hosts timings: ${timings.join(', ')}`);
    await fleet.sim('down');
  });

  it('up prints NAME DOCKER_HOST TLS_DIR per host, with a client bundle docker --tlsverify accepts', async () => {
    const base = fleet.subnet.replace(/\.0\/24$/, '');
    expect(hosts.map((h) => [h.name, h.dockerHost])).toEqual([
      [`${fleet.prefix}-1`, `tcp://${base}.11:2376`],
      [`${fleet.prefix}-2`, `tcp://${base}.12:2376`],
    ]);
    for (const h of hosts) {
      for (const f of ['ca.pem', 'cert.pem', 'key.pem']) expect(existsSync(join(h.tlsDir, f)), `${h.tlsDir}/${f}`).toBe(true);
      expect(statSync(join(h.tlsDir, 'key.pem')).mode & 0o777).toBe(0o600);
    }
    expect(statSync(fleet.dir).mode & 0o777).toBe(0o700);
    // Idempotent: a second `up` finds both running and prints the same lines.
    expect(parseHosts(await fleet.sim('up', '2'))).toEqual(hosts);
    expect(parseHosts(await fleet.sim('list'))).toEqual(hosts.map((h) => ({ ...h, state: 'running' })));
  });

  it('each engine answers over mutual TLS and refuses a client without a certificate', async () => {
    for (const h of hosts) {
      expect(await fleet.docker(h, ['info', '--format', '{{.Name}}'])).toBe(h.name);
      // The CA alone (the server is verified, the client shows no certificate): refused in the handshake.
      const anonymous = run('docker', ['--tlsverify', '--tlscacert', join(h.tlsDir, 'ca.pem'), '-H', h.dockerHost, 'info'], {
        env: { PATH: process.env.PATH, HOME: fleet.dir },
        timeout: 30_000,
      });
      await expect(anonymous).rejects.toThrow(/tls: bad certificate|certificate required/);
    }
  });

  it('runs a container inside a host', async () => {
    const h = host(1);
    // No registry reaches a host: the workload image goes in as `docker save | docker load`.
    const env = { PATH: process.env.PATH, HOME: fleet.dir, DOCKER_HOST: h.dockerHost, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: h.tlsDir };
    await run('bash', ['-c', 'set -o pipefail; docker -H unix:///var/run/docker.sock save carina/busybox:latest | docker load -q'], { env, timeout: 60_000 });
    expect(await fleet.docker(h, ['run', '--rm', 'carina/busybox:latest', 'echo', 'nested'])).toBe('nested');
  });

  it('two hosts form a swarm of their own', async () => {
    const [manager, worker] = [host(0), host(1)];
    await fleet.docker(manager, ['swarm', 'init', '--advertise-addr', ip(manager)]);
    const token = await fleet.docker(manager, ['swarm', 'join-token', '-q', 'worker']);
    await fleet.docker(worker, ['swarm', 'join', '--token', token, `${ip(manager)}:2377`]);
    const nodes = await fleet.docker(manager, ['node', 'ls', '--format', '{{.Hostname}} {{.Status}}']);
    expect(nodes.split('\n').sort()).toEqual([`${manager.name} Ready`, `${worker.name} Ready`]);
  });

  it('kill stops a host outright; start brings it back at the same address with its state', async () => {
    const h = host(1);
    await timed('kill', () => fleet.sim('kill', h.name));
    const state = (await hostDocker.getContainer(h.name).inspect()).State;
    expect([state.Running, state.ExitCode]).toEqual([false, 137]); // SIGKILL, not a clean stop
    expect(await listening(h)).toBe(false);
    expect(parseHosts(await fleet.sim('list')).find((x) => x.name === h.name)?.state).toBe('exited');

    expect(await listening(host(0))).toBe(true); // the other host lives on
    expect(parseHosts(await timed('start', () => fleet.sim('start', h.name)))).toEqual([h]);
    expect(await fleet.docker(h, ['info', '--format', '{{.Name}} {{.Swarm.LocalNodeState}}'])).toBe(`${h.name} active`);
    // /var/lib/docker is a volume: the image loaded before the power loss is still there.
    expect(await fleet.docker(h, ['image', 'ls', '-q', 'carina/busybox:latest'])).not.toBe('');
  });

  it('down removes the hosts, their volumes, the network and the TLS files', async () => {
    await timed('down', () => fleet.sim('down'));
    expect(await countLabelled(`carina.sim.prefix=${fleet.prefix}`)).toEqual({ containers: 0, volumes: 0, networks: 0 });
    expect(existsSync(fleet.dir)).toBe(false);
    expect(parseHosts(await fleet.sim('list'))).toEqual([]);
  });
});
