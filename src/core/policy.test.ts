import { describe, expect, it } from 'vitest';
import { canonicalPath, evaluatePolicy, networkReferences, policyNeeds, PolicyCode, type PolicyRequest } from './policy.js';

type Case = readonly [name: string, method: string, path: string, body: unknown, expected: PolicyCode | null, extra?: Partial<PolicyRequest>];

const create = (hostConfig: unknown, top: Record<string, unknown> = {}) => ({ Image: 'carina/busybox', ...top, HostConfig: hostConfig });
const service = (containerSpec: unknown, extra: Record<string, unknown> = {}) => ({
  Name: 's',
  TaskTemplate: { ContainerSpec: { Image: 'carina/busybox', ...(containerSpec as object) }, ...extra },
});
const C = PolicyCode;

// Every forbidden request, and the variants that must not slip through (spellings, legacy fields, other endpoints).
const CASES: Case[] = [
  ['plain create', 'POST', '/containers/create', create({ Memory: 1 << 20, Binds: ['data:/data', '/only-container-path'] }), null],
  ['privileged', 'POST', '/containers/create', create({ Privileged: true }), C.PRIVILEGED],
  ['privileged, lower-case key', 'POST', '/containers/create', create({ privileged: true }), C.PRIVILEGED],
  ['privileged, lower-case hostconfig', 'POST', '/containers/create', { Image: 'x', hostconfig: { PRIVILEGED: true } }, C.PRIVILEGED],
  ['privileged at top level (deprecated embedded HostConfig)', 'POST', '/containers/create', { Image: 'x', Privileged: true }, C.PRIVILEGED],
  ['privileged, duplicate spellings', 'POST', '/containers/create', { Image: 'x', HostConfig: { Privileged: false, privileged: true } }, C.PRIVILEGED],
  ['privileged false is fine', 'POST', '/containers/create', create({ Privileged: false }), null],
  ['security opt', 'POST', '/containers/create', create({ SecurityOpt: ['seccomp=unconfined'] }), C.SECURITY_OPT],
  ['security opt spelled with long s (Go folds ſ to s)', 'POST', '/containers/create', create({ 'ſecurityOpt': ['apparmor=unconfined'] }), C.SECURITY_OPT],
  ['no-new-privileges is allowed', 'POST', '/containers/create', create({ SecurityOpt: ['no-new-privileges:true'] }), null],
  ['masked paths emptied (systempaths=unconfined)', 'POST', '/containers/create', create({ MaskedPaths: [] }), C.SECURITY_OPT],
  ['read-only paths emptied', 'POST', '/containers/create', create({ ReadonlyPaths: [] }), C.SECURITY_OPT],
  ['cap add', 'POST', '/containers/create', create({ CapAdd: ['SYS_ADMIN'] }), C.CAP_ADD],
  ['cap add ALL', 'POST', '/containers/create', create({ capadd: ['all'] }), C.CAP_ADD],
  ['cap add with CAP_ prefix', 'POST', '/containers/create', create({ CapAdd: ['cap_net_admin'] }), C.CAP_ADD],
  ['cap add of a default capability is a no-op', 'POST', '/containers/create', create({ CapAdd: ['CHOWN', 'CAP_KILL'] }), null],
  ['cap drop is fine', 'POST', '/containers/create', create({ CapDrop: ['ALL'] }), null],
  ['bind of a host path', 'POST', '/containers/create', create({ Binds: ['/:/host'] }), C.HOST_MOUNT],
  ['bind of a relative host path', 'POST', '/containers/create', create({ Binds: ['./x:/x:ro'] }), C.HOST_MOUNT],
  ['bind of /var/lib/docker', 'POST', '/containers/create', create({ Binds: ['/var/lib/docker:/d'] }), C.HOST_MOUNT],
  ['bind, lower-case field', 'POST', '/containers/create', create({ binds: ['/etc:/etc'] }), C.HOST_MOUNT],
  ['bind at top level', 'POST', '/containers/create', { Image: 'x', Binds: ['/etc:/etc'] }, C.HOST_MOUNT],
  ['mount of type bind', 'POST', '/containers/create', create({ Mounts: [{ Type: 'bind', Source: '/', Target: '/host' }] }), C.HOST_MOUNT],
  ['mount of type BIND, lower-case keys', 'POST', '/containers/create', create({ mounts: [{ type: 'BIND', source: '/', target: '/h' }] }), C.HOST_MOUNT],
  ['mount without a type', 'POST', '/containers/create', create({ Mounts: [{ Source: '/', Target: '/h' }] }), C.HOST_MOUNT],
  ['volume mount with driver options (type=none,o=bind)', 'POST', '/containers/create',
    create({ Mounts: [{ Type: 'volume', Source: 'v', Target: '/v', VolumeOptions: { DriverConfig: { Name: 'local', Options: { type: 'none', o: 'bind', device: '/' } } } }] }), C.HOST_MOUNT],
  ['volume mount with a path as source', 'POST', '/containers/create', create({ Mounts: [{ Type: 'volume', Source: '/etc', Target: '/v' }] }), C.HOST_MOUNT],
  ['volume and tmpfs mounts are fine', 'POST', '/containers/create', create({ Mounts: [{ Type: 'volume', Source: 'v', Target: '/v' }, { Type: 'tmpfs', Target: '/t' }] }), null],
  ['non-local volume driver', 'POST', '/containers/create', create({ VolumeDriver: 'sshfs' }), C.HOST_MOUNT],
  ['devices', 'POST', '/containers/create', create({ Devices: [{ PathOnHost: '/dev/sda', PathInContainer: '/dev/sda', CgroupPermissions: 'rwm' }] }), C.DEVICES],
  ['device cgroup rules', 'POST', '/containers/create', create({ DeviceCgroupRules: ['b *:* rwm'] }), C.DEVICES],
  ['device requests', 'POST', '/containers/create', create({ DeviceRequests: [{ Count: -1 }] }), C.DEVICES],
  ['pid host', 'POST', '/containers/create', create({ PidMode: 'host' }), C.HOST_NAMESPACE],
  ['ipc host', 'POST', '/containers/create', create({ IpcMode: 'host' }), C.HOST_NAMESPACE],
  ['network host', 'POST', '/containers/create', create({ NetworkMode: 'host' }), C.HOST_NAMESPACE],
  ['network HOST', 'POST', '/containers/create', create({ networkmode: 'HOST' }), C.HOST_NAMESPACE],
  ['userns host', 'POST', '/containers/create', create({ UsernsMode: 'host' }), C.HOST_NAMESPACE],
  ['uts host', 'POST', '/containers/create', create({ UTSMode: 'host' }), C.HOST_NAMESPACE],
  ['endpoint on the host network', 'POST', '/containers/create', { Image: 'x', NetworkingConfig: { EndpointsConfig: { host: {} } } }, C.HOST_NAMESPACE],
  ['container pid namespace is fine', 'POST', '/containers/create', create({ PidMode: 'container:abc', NetworkMode: 'bridge' }), null],
  ['cgroup parent', 'POST', '/containers/create', create({ CgroupParent: '/' }), C.CGROUP_PARENT],
  ['sysctls', 'POST', '/containers/create', create({ Sysctls: { 'net.ipv4.ip_forward': '1' } }), C.SYSCTLS],
  ['runtime', 'POST', '/containers/create', create({ Runtime: 'io.containerd.runc.v2' }), C.RUNTIME],
  ['runtime runc is fine', 'POST', '/containers/create', create({ Runtime: 'runc' }), null],
  ['versioned path', 'POST', '/containers/create', create({ Privileged: true }), C.PRIVILEGED],
  ['legacy start with a host config', 'POST', '/containers/abc/start', { Binds: ['/:/h'] }, C.HOST_MOUNT],
  ['start without a body', 'POST', '/containers/abc/start', undefined, null],
  ['update with devices', 'POST', '/containers/abc/update', { Devices: [{ PathOnHost: '/dev/kmsg' }] }, C.DEVICES],
  ['update with a cgroup parent', 'POST', '/containers/abc/update', { CgroupParent: 'x' }, C.CGROUP_PARENT],
  ['update of memory is fine', 'POST', '/containers/abc/update', { Memory: 1 << 24 }, null],
  ['privileged exec', 'POST', '/containers/abc/exec', { Cmd: ['sh'], Privileged: true }, C.PRIVILEGED],
  ['privileged exec, lower-case', 'POST', '/containers/abc/exec', { cmd: ['sh'], privileged: true }, C.PRIVILEGED],
  ['plain exec', 'POST', '/containers/abc/exec', { Cmd: ['sh'], AttachStdin: true, Tty: true }, null],
  ['volume with bind options', 'POST', '/volumes/create', { Name: 'v', Driver: 'local', DriverOpts: { type: 'none', o: 'bind', device: '/etc' } }, C.HOST_MOUNT],
  ['volume with another driver', 'POST', '/volumes/create', { Name: 'v', Driver: 'vieux/sshfs' }, C.HOST_MOUNT],
  ['plain volume', 'POST', '/volumes/create', { Name: 'v', Driver: 'local', DriverOpts: {} }, null],
  ['plain service', 'POST', '/services/create', service({ Mounts: [{ Type: 'volume', Source: 'v', Target: '/v' }] }), null],
  ['service with a bind mount', 'POST', '/services/create', service({ Mounts: [{ Type: 'bind', Source: '/', Target: '/h' }] }), C.HOST_MOUNT],
  ['service update adding a bind', 'POST', '/services/abc/update', service({ mounts: [{ type: 'bind', source: '/etc', target: '/e' }] }), C.HOST_MOUNT],
  ['service with capabilities', 'POST', '/services/create', service({ CapabilityAdd: ['SYS_ADMIN'] }), C.CAP_ADD],
  ['service with sysctls', 'POST', '/services/create', service({ Sysctls: { 'kernel.shm_rmid_forced': '1' } }), C.SYSCTLS],
  ['service with seccomp unconfined', 'POST', '/services/create', service({ Privileges: { Seccomp: { Mode: 'unconfined' } } }), C.SECURITY_OPT],
  ['service with apparmor disabled', 'POST', '/services/create', service({ Privileges: { AppArmor: { Mode: 'disabled' } } }), C.SECURITY_OPT],
  ['service with SELinux options', 'POST', '/services/create', service({ Privileges: { SELinuxContext: { Disable: true } } }), C.SECURITY_OPT],
  ['service with default privileges', 'POST', '/services/create', service({ Privileges: { Seccomp: { Mode: 'default' }, NoNewPrivileges: true } }), null],
  ['service on the host network', 'POST', '/services/create', service({}, { Networks: [{ Target: 'host' }] }), C.HOST_NAMESPACE],
  ['service on the host network (deprecated field)', 'POST', '/services/create', { ...service({}), Networks: [{ Target: 'host' }] }, C.HOST_NAMESPACE],
  ['plugin service', 'POST', '/services/create', { TaskTemplate: { Runtime: 'plugin', PluginSpec: { Name: 'x', Remote: 'x' } } }, C.PLUGINS],
  ['attachment runtime', 'POST', '/services/create', { TaskTemplate: { Runtime: 'attachment' } }, C.RUNTIME],
  ['service, lower-case keys', 'POST', '/services/create', { tasktemplate: { containerspec: { mounts: [{ type: 'bind', source: '/' }] } } }, C.HOST_MOUNT],
  ['swarm init', 'POST', '/swarm/init', {}, C.INFRASTRUCTURE],
  ['swarm join', 'POST', '/swarm/join', {}, C.INFRASTRUCTURE],
  ['swarm leave', 'POST', '/swarm/leave', undefined, C.INFRASTRUCTURE],
  ['swarm update (token rotation, autolock, CA)', 'POST', '/swarm/update', {}, C.INFRASTRUCTURE],
  ['swarm unlock is fine', 'POST', '/swarm/unlock', {}, null],
  ['swarm inspect is fine', 'GET', '/swarm', undefined, null],
  ['node rm', 'DELETE', '/nodes/abc', undefined, C.INFRASTRUCTURE],
  ['node ls and inspect are fine', 'GET', '/nodes/abc', undefined, null],
  ['node drain keeps the role', 'POST', '/nodes/abc/update', { Role: 'worker', Availability: 'drain' }, null, { nodeRole: 'worker' }],
  ['node promote', 'POST', '/nodes/abc/update', { Role: 'manager', Availability: 'active' }, C.INFRASTRUCTURE, { nodeRole: 'worker' }],
  ['node demote', 'POST', '/nodes/abc/update', { role: 'worker' }, C.INFRASTRUCTURE, { nodeRole: 'manager' }],
  ['node role unknown', 'POST', '/nodes/abc/update', { Role: 'worker' }, C.INFRASTRUCTURE],
  ['node labels without a role', 'POST', '/nodes/abc/update', { Labels: { a: 'b' } }, null],
  ['plugin install', 'POST', '/plugins/pull', undefined, C.PLUGINS],
  ['plugin create', 'POST', '/plugins/create', undefined, C.PLUGINS],
  ['plugin upgrade', 'POST', '/plugins/vieux/sshfs:latest/upgrade', undefined, C.PLUGINS],
  ['plugin set', 'POST', '/plugins/x/set', [], C.PLUGINS],
  ['build on the host network', 'POST', '/build', undefined, C.HOST_NAMESPACE, { query: [['networkmode', 'host']] }],
  ['build with a cgroup parent', 'POST', '/build', undefined, C.CGROUP_PARENT, { query: [['t', 'x'], ['cgroupparent', '/']] }],
  ['build options in a form body', 'POST', '/build', undefined, C.HOST_NAMESPACE, { contentType: 'application/x-www-form-urlencoded' }],
  ['plain build', 'POST', '/build', undefined, null, { query: [['t', 'x'], ['networkmode', 'default']], contentType: 'application/x-tar' }],
  ['buildkit session', 'POST', '/session', undefined, C.BUILDKIT],
  ['list containers', 'GET', '/containers/json', undefined, null],
  ['remove a container', 'DELETE', '/containers/abc', undefined, null],
  // Docker routes /containers/{name:.*}/…: a legacy link's name `parent/alias` reaches the same handlers.
  ['legacy start through a link alias', 'POST', '/containers/lnk/alias/start', { Binds: ['/:/host'], CapAdd: ['SYS_ADMIN'] }, C.AMBIGUOUS_REFERENCE],
  ['start through a link alias without a body', 'POST', '/containers/lnk/alias/start', undefined, C.AMBIGUOUS_REFERENCE],
  ['privileged exec through a link alias', 'POST', '/containers/lnk/alias/exec', { Cmd: ['sh'], Privileged: true }, C.AMBIGUOUS_REFERENCE],
  ['update through a link alias', 'POST', '/containers/lnk/alias/update', { Memory: 1 }, C.AMBIGUOUS_REFERENCE],
  ['inspect through a link alias', 'GET', '/containers/lnk/alias/json', undefined, C.AMBIGUOUS_REFERENCE],
  ['remove through a link alias', 'DELETE', '/containers/lnk/alias', undefined, C.AMBIGUOUS_REFERENCE],
  ['exec start with a slash', 'POST', '/exec/a/b/start', undefined, C.AMBIGUOUS_REFERENCE],
  ['a container named like an action', 'POST', '/containers/start/start', undefined, null],
  ['image names keep their slashes', 'POST', '/images/registry.local/alice/app/tag', undefined, null],
  ['plugin names keep their slashes', 'DELETE', '/plugins/vieux/sshfs:latest', undefined, null],
];

describe('policy', () => {
  it.each(CASES)('%s', (...c) => {
    const [, method, path, body, expected, extra] = c as unknown as Case;
    const decision = evaluatePolicy({ method, path, query: [], body, ...(extra ?? {}) });
    expect(decision.allowed ? null : decision.violation.code).toBe(expected);
  });

  it('matches paths case-insensitively and methods in any case', () => {
    const d = evaluatePolicy({ method: 'post', path: '/Containers/Create', query: [], body: { HostConfig: { Privileged: true } } });
    expect(d.allowed).toBe(false);
  });

  it.each([
    ['/v1.41/containers/create', '/containers/create'],
    ['/containers%2Fcreate', '/containers/create'],
    ['/v1.41/%63ontainers/create', '/containers/create'],
    ['//v1.41//containers/./x/../create/', '/containers/create'],
    ['/v1.41abc/containers/create', '/v1.41abc/containers/create'],
    ['/v1.41', '/'],
  ])('canonical path of %s is %s', (raw, expected) => {
    expect(canonicalPath(raw)).toBe(expected);
  });

  it('refuses undecodable paths', () => {
    expect(canonicalPath('/containers/%E0%A4%A')).toBeUndefined();
  });

  it('says which requests need their body or a node lookup', () => {
    expect(policyNeeds('POST', '/containers/create')).toEqual({ body: true });
    expect(policyNeeds('POST', '/containers/abc/archive')).toEqual({ body: false });
    expect(policyNeeds('PUT', '/containers/abc/archive')).toEqual({ body: false });
    expect(policyNeeds('POST', '/build')).toEqual({ body: false });
    expect(policyNeeds('POST', '/nodes/MyNode/update')).toEqual({ body: true, nodeRoleOf: 'MyNode' });
    expect(policyNeeds('GET', '/containers/json')).toEqual({ body: false });
    // Refused by its reference before any body is read.
    expect(policyNeeds('POST', '/containers/a/b/start')).toEqual({ body: false });
  });
});

describe('policy: networks resolved by the gateway', () => {
  it('lists the network references of containers and services, not the built-in modes', () => {
    expect(networkReferences('/containers/create', { HostConfig: { NetworkMode: 'mynet' }, NetworkingConfig: { EndpointsConfig: { other: {} } } })).toEqual(['mynet', 'other']);
    expect(networkReferences('/containers/create', { HostConfig: { NetworkMode: 'container:abc' } })).toEqual([]);
    expect(networkReferences('/services/abc/update', { TaskTemplate: { Networks: [{ Target: 't71cp' }] }, Networks: [{ target: 'x' }] })).toEqual(['t71cp', 'x']);
    expect(networkReferences('/volumes/create', {})).toEqual([]);
  });

  it('refuses a service whose network id resolves to the host network', () => {
    const body = { TaskTemplate: { ContainerSpec: { Image: 'x' }, Networks: [{ Target: 't71cp' }] } };
    const host = evaluatePolicy({ method: 'POST', path: '/services/create', query: [], body, networks: { t71cp: { name: 'host', driver: 'host' } } });
    expect(host.allowed ? null : host.violation.code).toBe(PolicyCode.HOST_NAMESPACE);
    const overlay = evaluatePolicy({ method: 'POST', path: '/services/create', query: [], body, networks: { t71cp: { name: 'web', driver: 'overlay' } } });
    expect(overlay.allowed).toBe(true);
    const byId = evaluatePolicy({ method: 'POST', path: '/containers/create', query: [], body: { HostConfig: { NetworkMode: 'adbd' } }, networks: { adbd: { name: 'host', driver: 'host' } } });
    expect(byId.allowed).toBe(false);
  });
});
