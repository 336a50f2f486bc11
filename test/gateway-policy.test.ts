import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from './support/api-client.js';
import { dockerWithBundle, extractBundle } from './support/docker-cli.js';
import { dockerResult, GatewayClient } from './support/gateway-client.js';
import { TestServer } from './support/server.js';

type Raw = readonly [name: string, method: string, path: string, body: unknown, code: string];

const image = 'carina/busybox';
const create = (hostConfig: unknown, top: Record<string, unknown> = {}) => ({ Image: image, Cmd: ['true'], ...top, HostConfig: hostConfig });
const service = (containerSpec: Record<string, unknown>) => ({ Name: 'polsvc', TaskTemplate: { ContainerSpec: { Image: image, Args: ['sleep', '60'], ...containerSpec } } });

// Raw API requests the docker client would never send in this form: every one must still be refused.
const RAW: Raw[] = [
  ['Privileged', 'POST', '/v1.41/containers/create', create({ Privileged: true }), 'CARINA-1001'],
  ['privileged (lower-case)', 'POST', '/v1.41/containers/create', create({ privileged: true }), 'CARINA-1001'],
  ['Privileged at top level', 'POST', '/v1.41/containers/create', { Image: image, Privileged: true }, 'CARINA-1001'],
  ['percent-encoded path', 'POST', '/v1.41/containers%2Fcreate', create({ Privileged: true }), 'CARINA-1001'],
  ['unversioned path', 'POST', '/containers/create', create({ Privileged: true }), 'CARINA-1001'],
  ['SecurityOpt', 'POST', '/v1.41/containers/create', create({ SecurityOpt: ['seccomp=unconfined'] }), 'CARINA-1000'],
  ['ſecurityOpt (Go folds ſ to s)', 'POST', '/v1.41/containers/create', create({ 'ſecurityOpt': ['apparmor=unconfined'] }), 'CARINA-1000'],
  ['MaskedPaths emptied', 'POST', '/v1.41/containers/create', create({ MaskedPaths: [] }), 'CARINA-1000'],
  ['Binds of a host path', 'POST', '/v1.41/containers/create', create({ Binds: ['/:/host'] }), 'CARINA-1002'],
  ['binds (lower-case)', 'POST', '/v1.41/containers/create', create({ binds: ['/etc:/etc:ro'] }), 'CARINA-1002'],
  ['Binds at top level', 'POST', '/v1.41/containers/create', { Image: image, Binds: ['/:/host'] }, 'CARINA-1002'],
  ['Mounts of type bind', 'POST', '/v1.41/containers/create', create({ Mounts: [{ Type: 'bind', Source: '/', Target: '/host' }] }), 'CARINA-1002'],
  ['mounts of type BIND (lower-case keys)', 'POST', '/v1.41/containers/create', create({ mounts: [{ type: 'BIND', source: '/', target: '/h' }] }), 'CARINA-1002'],
  ['volume mount binding a host path through driver options', 'POST', '/v1.41/containers/create',
    create({ Mounts: [{ Type: 'volume', Source: 'sneaky', Target: '/v', VolumeOptions: { DriverConfig: { Name: 'local', Options: { type: 'none', o: 'bind', device: '/' } } } }] }), 'CARINA-1002'],
  ['volume create binding a host path', 'POST', '/v1.41/volumes/create', { Name: 'sneaky', DriverOpts: { type: 'none', o: 'bind', device: '/etc' } }, 'CARINA-1002'],
  ['CapAdd', 'POST', '/v1.41/containers/create', create({ CapAdd: ['SYS_ADMIN'] }), 'CARINA-1003'],
  ['Devices', 'POST', '/v1.41/containers/create', create({ Devices: [{ PathOnHost: '/dev/mem', PathInContainer: '/dev/mem', CgroupPermissions: 'rwm' }] }), 'CARINA-1006'],
  ['DeviceCgroupRules', 'POST', '/v1.41/containers/create', create({ DeviceCgroupRules: ['c *:* rwm'] }), 'CARINA-1006'],
  ['PidMode host', 'POST', '/v1.41/containers/create', create({ PidMode: 'host' }), 'CARINA-1005'],
  ['IpcMode host', 'POST', '/v1.41/containers/create', create({ IpcMode: 'host' }), 'CARINA-1005'],
  ['NetworkMode host', 'POST', '/v1.41/containers/create', create({ NetworkMode: 'host' }), 'CARINA-1005'],
  ['UsernsMode host', 'POST', '/v1.41/containers/create', create({ UsernsMode: 'host' }), 'CARINA-1005'],
  ['UTSMode host', 'POST', '/v1.41/containers/create', create({ UTSMode: 'host' }), 'CARINA-1005'],
  ['CgroupParent', 'POST', '/v1.41/containers/create', create({ CgroupParent: '/' }), 'CARINA-1007'],
  ['Sysctls', 'POST', '/v1.41/containers/create', create({ Sysctls: { 'net.ipv4.ip_unprivileged_port_start': '0' } }), 'CARINA-1008'],
  ['Runtime', 'POST', '/v1.41/containers/create', create({ Runtime: 'io.containerd.runc.v2' }), 'CARINA-1009'],
  ['host config sent to start (API < 1.24)', 'POST', '/v1.23/containers/polbase/start', { Binds: ['/:/host'], Privileged: true }, 'CARINA-1001'],
  ['update adding a device', 'POST', '/v1.41/containers/polbase/update', { Devices: [{ PathOnHost: '/dev/kmsg' }] }, 'CARINA-1006'],
  ['privileged exec', 'POST', '/v1.41/containers/polbase/exec', { Cmd: ['true'], privileged: true }, 'CARINA-1001'],
  ['service with a bind mount', 'POST', '/v1.41/services/create', service({ Mounts: [{ Type: 'bind', Source: '/', Target: '/h' }] }), 'CARINA-1002'],
  ['service with capabilities', 'POST', '/v1.41/services/create', service({ CapabilityAdd: ['CAP_SYS_ADMIN'] }), 'CARINA-1003'],
  ['service with sysctls', 'POST', '/v1.41/services/create', service({ Sysctls: { 'net.core.somaxconn': '1024' } }), 'CARINA-1008'],
  ['service with seccomp unconfined', 'POST', '/v1.41/services/create', service({ Privileges: { Seccomp: { Mode: 'unconfined' } } }), 'CARINA-1000'],
  ['swarm init', 'POST', '/v1.41/swarm/init', { ListenAddr: '0.0.0.0:2377', ForceNewCluster: true }, 'CARINA-1004'],
  ['swarm join', 'POST', '/v1.41/swarm/join', { RemoteAddrs: ['10.0.0.1:2377'], JoinToken: 'x' }, 'CARINA-1004'],
  ['swarm leave', 'POST', '/v1.41/swarm/leave?force=1', undefined, 'CARINA-1004'],
  ['plugin install', 'POST', '/v1.41/plugins/pull?remote=vieux/sshfs', [], 'CARINA-1010'],
  ['build on the host network', 'POST', '/v1.41/build?networkmode=host&remote=https://example.invalid/ctx.tar', undefined, 'CARINA-1005'],
  ['BuildKit session', 'POST', '/v1.41/session', undefined, 'CARINA-1011'],
];

describe('Docker API gateway: policy (real engine, real docker client)', () => {
  const server = new TestServer('gwpol');
  let api: ApiClient;
  let bundle = '';
  let client: GatewayClient;
  let workerId = '';
  let managerId = '';

  beforeAll(async () => {
    await server.start();
    api = new ApiClient(server.url, await server.createAccount('alice'));
    expect((await api.request('POST', '/v1/clusters', { name: 'pol', nodes: 2 })).status).toBe(202);
    await api.waitFor('pol', (c) => c.status === 'active' && c.nodes_ready === 2, 240_000);
    bundle = (await extractBundle((await api.request('GET', '/v1/clusters/pol/credentials')).body as Buffer)).dir;
    client = new GatewayClient(bundle);
    await dockerWithBundle(bundle, ['run', '-d', '--name', 'polbase', image, 'sleep', '600']);
    await dockerWithBundle(bundle, ['service', 'create', '--detach', '--name', 'polsvc', '--endpoint-mode', 'dnsrr', image, 'sleep', '600']);
    for (const line of (await dockerWithBundle(bundle, ['node', 'ls', '--format', '{{.ID}} {{.ManagerStatus}}'])).trim().split('\n')) {
      const [id, status] = line.split(' ');
      if (status) managerId = id ?? '';
      else workerId = id ?? '';
    }
  });
  afterAll(async () => {
    client?.close();
    await server.cleanup();
  });

  it.each(RAW)('refuses %s with its code', async (_name, method, path, body, code) => {
    const res = await client.request(method, path, body);
    expect({ status: res.status, message: res.json?.message?.slice(0, 12) }).toEqual({ status: 403, message: `${code}:` });
  });

  it('lets the ordinary requests through', async () => {
    const ok = await client.request('POST', '/v1.41/containers/create?name=polok', create({ Binds: ['polvol:/data'], Mounts: [{ Type: 'tmpfs', Target: '/t' }], Memory: 64 << 20, CapDrop: ['ALL'] }));
    expect(ok.status).toBe(201);
    expect((await client.request('DELETE', '/v1.41/containers/polok?v=1')).status).toBe(204);
    expect((await client.request('POST', '/v1.41/volumes/create', { Name: 'plainvol' })).status).toBe(201);
  });

  it('refuses oversized and unreadable configuration bodies', async () => {
    expect((await client.request('POST', '/v1.41/containers/create', `{"Image":"${'x'.repeat(1_100_000)}"}`)).status).toBe(413);
    expect((await client.request('POST', '/v1.41/containers/create', '{"Image":"x"} {"HostConfig":{"Privileged":true}}')).json?.message).toMatch(/^CARINA-1090:/);
  });

  const CLI: Array<readonly [string, string[], string]> = [
    ['run --privileged', ['run', '--rm', '--privileged', image, 'true'], 'CARINA-1001'],
    ['run -v /:/host', ['run', '--rm', '-v', '/:/host', image, 'true'], 'CARINA-1002'],
    ['run --mount type=bind', ['run', '--rm', '--mount', 'type=bind,source=/etc,target=/e', image, 'true'], 'CARINA-1002'],
    ['run --cap-add', ['run', '--rm', '--cap-add', 'SYS_ADMIN', image, 'true'], 'CARINA-1003'],
    ['run --security-opt', ['run', '--rm', '--security-opt', 'seccomp=unconfined', image, 'true'], 'CARINA-1000'],
    ['run --security-opt systempaths=unconfined', ['run', '--rm', '--security-opt', 'systempaths=unconfined', image, 'true'], 'CARINA-1000'],
    ['run --device', ['run', '--rm', '--device', '/dev/null:/dev/x', image, 'true'], 'CARINA-1006'],
    ['run --pid host', ['run', '--rm', '--pid', 'host', image, 'true'], 'CARINA-1005'],
    ['run --ipc host', ['run', '--rm', '--ipc', 'host', image, 'true'], 'CARINA-1005'],
    ['run --network host', ['run', '--rm', '--network', 'host', image, 'true'], 'CARINA-1005'],
    ['run --uts host', ['run', '--rm', '--uts', 'host', image, 'true'], 'CARINA-1005'],
    ['run --cgroup-parent', ['run', '--rm', '--cgroup-parent', '/x', image, 'true'], 'CARINA-1007'],
    ['run --sysctl', ['run', '--rm', '--sysctl', 'net.ipv4.ip_forward=1', image, 'true'], 'CARINA-1008'],
    ['run --runtime', ['run', '--rm', '--runtime', 'io.containerd.runc.v2', image, 'true'], 'CARINA-1009'],
    ['exec --privileged', ['exec', '--privileged', 'polbase', 'true'], 'CARINA-1001'],
    ['volume create -o device=/', ['volume', 'create', '-o', 'type=none', '-o', 'o=bind', '-o', 'device=/', 'hostroot'], 'CARINA-1002'],
    ['service create --mount type=bind', ['service', 'create', '--detach', '--mount', 'type=bind,source=/,target=/h', image, 'sleep', '60'], 'CARINA-1002'],
    ['service update --mount-add type=bind', ['service', 'update', '--detach', '--mount-add', 'type=bind,source=/etc,target=/e', 'polsvc'], 'CARINA-1002'],
    ['service create --cap-add', ['service', 'create', '--detach', '--cap-add', 'NET_ADMIN', image, 'sleep', '60'], 'CARINA-1003'],
    ['service create --network host', ['service', 'create', '--detach', '--network', 'host', image, 'sleep', '60'], 'CARINA-1005'],
    ['swarm leave', ['swarm', 'leave', '--force'], 'CARINA-1004'],
    ['swarm join-token --rotate', ['swarm', 'join-token', '--rotate', '-q', 'worker'], 'CARINA-1004'],
    ['swarm update', ['swarm', 'update', '--autolock'], 'CARINA-1004'],
    ['plugin install', ['plugin', 'install', '--grant-all-permissions', 'vieux/sshfs'], 'CARINA-1010'],
    ['build --network host', ['build', '--network', 'host', '-t', 'x', '-'], 'CARINA-1005'],
  ];

  it.each(CLI)('docker %s is refused with its code', async (_name, args, code) => {
    const out = await dockerResult(bundle, args, { input: 'FROM carina/busybox\n' });
    expect(out.code).not.toBe(0);
    expect(out.stderr).toContain(`Error response from daemon: ${code}:`);
  });

  it("refuses node removal, promotion and demotion, but allows listing and draining nodes", async () => {
    for (const [args, code] of [
      [['node', 'rm', '--force', workerId], 'CARINA-1004'],
      [['node', 'promote', workerId], 'CARINA-1004'],
      [['node', 'demote', managerId], 'CARINA-1004'],
      [['node', 'update', '--role', 'manager', workerId], 'CARINA-1004'],
    ] as const) {
      const out = await dockerResult(bundle, [...args]);
      expect(out.stderr).toContain(`Error response from daemon: ${code}:`);
    }
    expect((await dockerWithBundle(bundle, ['node', 'ls', '-q'])).trim().split('\n')).toHaveLength(2);
    await dockerWithBundle(bundle, ['node', 'update', '--availability', 'drain', '--label-add', 'tier=web', workerId]);
    expect((await dockerWithBundle(bundle, ['node', 'inspect', '--format', '{{.Spec.Availability}} {{.Spec.Role}}', workerId])).trim()).toBe('drain worker');
    await dockerWithBundle(bundle, ['node', 'update', '--availability', 'active', workerId]);
    const active = await api.waitFor('pol', (c) => c.status === 'active' && c.nodes_ready === 2);
    expect(active.status).toBe('active');
  });

  it('records allowed and refused requests in the audit log, without bodies or secrets', async () => {
    await client.request('POST', '/v1.41/build?t=x&networkmode=host&buildargs=%7B%22TOKEN%22%3A%22hunter2%22%7D');
    const serial = (await api.request('GET', '/v1/clusters/pol/credentials')).headers.get('etag')?.replace(/"/g, '');
    const { entries } = (await api.request('GET', '/v1/clusters/pol/audit')).body as { entries: any[] };
    const text = JSON.stringify(entries);
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('SYS_ADMIN');
    expect(entries.find((e) => e.path.startsWith('/v1.41/build?t=x'))).toMatchObject({
      method: 'POST', status: 403, denied_code: 'CARINA-1005', account: 'alice', cert_serial: serial, path: '/v1.41/build?t=x&networkmode=host&buildargs=***',
    });
    expect(entries).toContainEqual(expect.objectContaining({ method: 'POST', path: '/v1.41/containers/create?name=polok', status: 201, denied_code: null }));
    expect(entries).toContainEqual(expect.objectContaining({ method: 'DELETE', path: '/v1.41/containers/polok?v=1', status: 204, denied_code: null }));
    expect(entries.filter((e) => e.denied_code === 'CARINA-1001').length).toBeGreaterThanOrEqual(5);
    expect(entries.some((e) => e.method === 'GET' && e.denied_code === null)).toBe(false);
    const after = entries.at(-1).id as number;
    expect((await api.request('GET', `/v1/clusters/pol/audit?after=${after}`)).body.entries).toEqual([]);
  });

  it('refuses a rotated client certificate at once, even on an open connection', async () => {
    const kept = new GatewayClient(bundle, true);
    expect((await kept.request('GET', '/v1.41/containers/json')).status).toBe(200);
    const rotated = await api.request('POST', '/v1/clusters/pol/credentials/rotate');
    expect(rotated.status).toBe(200);
    const next = await kept.request('GET', '/v1.41/containers/json').catch((e: Error) => ({ status: 0, json: { message: e.message } }));
    expect(next.status === 0 || next.status === 401).toBe(true);
    kept.close();
    const old = await client.request('GET', '/v1.41/info');
    expect(old.status).toBe(401);
    expect(old.json.message).toMatch(/^CARINA-1092: .*rotated/);
    expect((await dockerResult(bundle, ['ps'])).stderr).toContain('CARINA-1092');
    const fresh = await api.request('GET', '/v1/clusters/pol/credentials');
    expect(fresh.headers.get('etag')).toBe(`"${rotated.body.client_serial}"`);
    const newBundle = (await extractBundle(fresh.body as Buffer)).dir;
    expect((await dockerWithBundle(newBundle, ['ps', '--format', '{{.Names}}'])).trim()).toContain('polbase');
    const { entries } = (await api.request('GET', '/v1/clusters/pol/audit')).body as { entries: any[] };
    expect(entries.some((e) => e.status === 401 && e.denied_code === 'CARINA-1092')).toBe(true);
  });
});
