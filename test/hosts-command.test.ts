import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../src/core/ports.js';
import { openStore } from '../src/store/open-store.js';
import { TestServer } from './support/server.js';
import { parseHosts, SimFleet, type SimHost } from './support/sim-hosts.js';

const run = promisify(execFile);
const GiB = 1024 ** 3;

// `carina-server hosts add|list|drain|ready|remove` (issue 13, step 1) against one simulated Docker
// host: the probe over mutual TLS, its refusals in one line, and the reserved figures of placed nodes.
describe('carina-server hosts', () => {
  const fleet = new SimFleet('hostcmd', process.pid, { prefix: 'hostcmd', subnet: '10.214.7.0/24' });
  const server = new TestServer('hostcmd'); // never started: admin commands work on its data dir
  const scratch = mkdtempSync(join(tmpdir(), 'carina-e2e-hostcmd-'));
  let host: SimHost;
  let info: { NCPU: number; MemTotal: number; ServerVersion: string };
  let store: Store | undefined;

  /** `carina-server ARGS`: exit code, stdout and stderr, failing or not. */
  const admin = async (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
    try {
      const { stdout, stderr } = await run(process.execPath, ['bin/carina-server.js', ...args], { env: server.env, timeout: 30_000 });
      return { code: 0, stdout, stderr };
    } catch (e) {
      const { code, stdout = '', stderr = '' } = e as { code?: number; stdout?: string; stderr?: string };
      return { code: code ?? -1, stdout, stderr };
    }
  };
  const add = (name: string, dockerHost: string, tlsDir: string, ...more: string[]) => admin('hosts', 'add', name, '--docker-host', dockerHost, '--tls-dir', tlsDir, ...more);
  const listJson = async () => JSON.parse((await admin('hosts', 'list', '--json')).stdout) as Record<string, unknown>[];

  /** A CA of its own (not the engine's) and a client certificate it signed, with openssl. */
  const otherCa = async (dir: string) => {
    const ssl = (...args: string[]) => run('openssl', args, { cwd: dir });
    await ssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca-key.pem', '-out', 'ca.pem', '-subj', '/CN=not the engine CA', '-days', '1');
    await ssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'key.pem', '-out', 'csr.pem', '-subj', '/CN=stranger');
    writeFileSync(join(dir, 'ext'), 'extendedKeyUsage=clientAuth\n');
    await ssl('x509', '-req', '-in', 'csr.pem', '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-set_serial', '7', '-days', '1', '-extfile', 'ext', '-out', 'cert.pem');
  };

  beforeAll(async () => {
    [host] = parseHosts(await fleet.sim('up', '1')) as [SimHost];
  });
  afterAll(async () => {
    await store?.close();
    await fleet.sim('down');
    rmSync(scratch, { recursive: true, force: true });
    rmSync(server.dataDir, { recursive: true, force: true });
  });

  it('refuses an engine whose certificate another CA signed, and one that refuses the client certificate, naming TLS', async () => {
    const stranger = join(scratch, 'stranger');
    cpSync(host.tlsDir, stranger, { recursive: true }); // the engine's CA, another CA's client certificate below
    await otherCa(stranger);
    const wrongCa = join(scratch, 'wrong-ca');
    cpSync(host.tlsDir, wrongCa, { recursive: true });
    cpSync(join(stranger, 'ca.pem'), join(wrongCa, 'ca.pem')); // the engine's client certificate, another CA
    cpSync(join(host.tlsDir, 'ca.pem'), join(stranger, 'ca.pem'));

    const byWrongCa = await add('h1', host.dockerHost, wrongCa);
    expect(byWrongCa.code).toBe(1);
    expect(byWrongCa.stderr).toMatch(/^carina-server: the engine at tcp:\/\/10\.214\.7\.11:2376 does not answer over mutual TLS with .*: TLS verification failed: the engine's certificate is not signed by the CA in ca\.pem .*nothing was registered \(CARINA_ERR_ENGINE\)\n$/);

    const byStranger = await add('h1', host.dockerHost, stranger);
    expect(byStranger.code).toBe(1);
    expect(byStranger.stderr).toMatch(/TLS verification failed: the engine refused the client certificate cert\.pem/);
  });

  it('refuses an address nobody listens on, and a TLS directory without its files', async () => {
    const refused = await add('h1', 'tcp://127.0.0.1:1', host.tlsDir);
    expect([refused.code, refused.stderr]).toEqual([1, expect.stringMatching(/: connection refused: nothing listens there .*\(CARINA_ERR_ENGINE\)\n$/)]);
    const empty = mkdtempSync(join(scratch, 'empty-'));
    const missing = await add('h1', host.dockerHost, empty);
    expect([missing.code, missing.stderr]).toEqual([1, `carina-server: ca.pem, cert.pem, key.pem missing or unreadable in ${empty}: it must hold ca.pem (the engine's CA), cert.pem and key.pem (a client certificate that CA signed) (CARINA_ERR_VALIDATION)\n`]);
  });

  it('adds the host with the CPUs and memory its engine reports, and lists them', async () => {
    info = JSON.parse(await fleet.docker(host, ['info', '--format', '{{json .}}'])) as typeof info;
    const added = await add('h1', host.dockerHost, host.tlsDir);
    // The simulated host's dockerd remaps users (scripts/sim-hosts.sh): root in a node is host uid 100000, not root.
    expect(added.stdout).toBe(`Added host h1 at ${host.dockerHost}: ${info.NCPU} CPUs and ${Number((info.MemTotal / GiB).toFixed(2))} GiB allocatable, Docker ${info.ServerVersion}, root in its nodes is host uid 100000, ready for nodes.\n`);
    expect(await listJson()).toEqual([
      expect.objectContaining({ name: 'h1', docker_host: host.dockerHost, tls_dir: host.tlsDir, state: 'ready', nodes: 0, allocatable_nano_cpus: info.NCPU * 1e9, allocatable_memory_bytes: info.MemTotal }),
    ]);
    const [header, row, ...rest] = (await admin('hosts', 'list')).stdout.trimEnd().split('\n');
    expect([header, rest]).toEqual(['NAME\tADDRESS\tSTATE\tNODES\tCPU\tMEMORY\tLAST-SEEN', []]);
    expect(row?.split('\t').slice(0, 6)).toEqual(['h1', host.dockerHost, 'ready', '0', `0 / ${info.NCPU}`, `0 / ${Number((info.MemTotal / GiB).toFixed(2))} GiB`]);
    expect(Date.now() - Date.parse(row?.split('\t')[6] ?? '')).toBeLessThan(60_000); // seen by the probe
  });

  it('refuses an engine without --userns-remap (root in a node would be root on it) unless told to accept that', async () => {
    // A second host whose dockerd does not remap users.
    const [, plain] = parseHosts(await fleet.sim('up', '2', { CARINA_SIM_USERNS: '0' })) as [SimHost, SimHost];
    const refused = await add('plain', plain.dockerHost, plain.tlsDir);
    expect([refused.code, refused.stdout]).toEqual([1, '']);
    expect(refused.stderr).toBe(
      `carina-server: the engine at ${plain.dockerHost} does not run with --userns-remap, so root in a node there would be root on that host: start its dockerd with --userns-remap=default (docs/multi-host.md), or pass --allow-root-nodes to accept that; nothing was registered (CARINA_ERR_VALIDATION)\n`,
    );
    expect((await listJson()).map((h) => h.name)).toEqual(['h1']);
    const accepted = await add('plain', plain.dockerHost, plain.tlsDir, '--allow-root-nodes');
    expect(accepted.stdout).toMatch(/, WARNING: root in its nodes is root on the host \(no --userns-remap\), ready for nodes\.\n$/);
    expect((await admin('hosts', 'remove', 'plain')).code).toBe(0);
  });

  it('refuses a name taken and the same engine under another name', async () => {
    const sameName = await add('h1', 'tcp://127.0.0.1:1', host.tlsDir);
    expect([sameName.code, sameName.stderr]).toEqual([1, expect.stringContaining('a host named "h1" is already registered') as unknown]);
    expect(sameName.stderr).toContain('(CARINA_ERR_HOST_EXISTS)');
    // The same address, its port written with a leading zero.
    const sameEngine = await add('h2', host.dockerHost.replace('.11:', '.11:0'), host.tlsDir);
    expect(sameEngine.stderr).toBe(`carina-server: ${host.dockerHost} is already registered as host "h1": one engine is one host (CARINA_ERR_HOST_EXISTS)\n`);
  });

  it('counts placed nodes as reserved; drain says they move; remove is refused while it holds any', async () => {
    store = await openStore({ url: server.env.CARINA_DATABASE_URL ?? `sqlite:${join(server.dataDir, 'carina.db')}` });
    await store.accounts.create({ id: 'acc-hostcmd', name: 'hostcmd', keyHash: 'unused', quotaClusters: 1, quotaNodes: 5 });
    const cluster = await store.clusters.createWithinQuota({ id: 'cl-hostcmd', accountId: 'acc-hostcmd', name: 'web', flavor: 'container1-4G', nodeCount: 2, autoscale: false }, { from: 40000, to: 40010 });
    expect(await store.hosts.place(cluster.id, [{ index: 0, host: 'h1' }, { index: 1, host: 'h1' }])).toEqual({ ok: true });

    expect((await listJson())[0]).toMatchObject({ nodes: 2, reserved_nano_cpus: 4e9, reserved_memory_bytes: 8 * GiB });
    expect((await admin('hosts', 'drain', 'h1')).stdout).toBe('Host h1 is draining: no new node is placed there; the control plane moves its 2 nodes to other hosts, one per cluster at a time (a cluster\'s node 0, its only swarm manager, stays).\n');
    expect((await admin('hosts', 'list')).stdout.split('\n')[1]?.split('\t').slice(2, 5)).toEqual(['draining', '2', `4 / ${info.NCPU}`]);
    const refused = await admin('hosts', 'remove', 'h1');
    expect([refused.code, refused.stderr]).toEqual([1, expect.stringMatching(/^carina-server: host h1 still holds 2 nodes: .*\(CARINA_ERR_INVALID_STATE\)\n$/)]);

    expect((await admin('hosts', 'ready', 'h1')).stdout).toBe('Host h1 is ready: new nodes may be placed there.\n');
    expect((await store.hosts.get('h1'))?.state).toBe('ready');
    await store.hosts.unplace(cluster.id, [0, 1]);
    expect((await admin('hosts', 'remove', 'h1')).stdout).toBe('Removed host h1.\n');
    const gone = await admin('hosts', 'drain', 'h1');
    expect([gone.code, gone.stderr]).toEqual([1, 'carina-server: no host named "h1": see carina-server hosts list (CARINA_ERR_NOT_FOUND)\n']);
  });
});
