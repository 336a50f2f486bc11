import { describe, expect, it } from 'vitest';
import fixtures from './policy-oracle.fixtures.json' with { type: 'json' };
import { isObject } from './json-fields.js';
import { PolicyCode } from './policy-codes.js';
import { storedId, storedReferences, storedViolation, type StoredKind } from './policy-oracle.js';

/*
 * The fixtures are real inspect documents (GET /containers/{id}/json, /services/{id}, /volumes/{name},
 * /networks/{id}, /exec/{id}/json) of Docker Engine 20.10.24, captured on 2026-12-02 from objects labelled
 * carina.test=oracle-capture and removed afterwards: containers made with `docker create` (never started;
 * the custom MaskedPaths lists through POST /containers/create), execs created (not started) in a running
 * plain busybox, services with `docker service create --replicas 0` on a one-node swarm of a scratch
 * engine. Each is trimmed to the fields the oracle reads plus a few it ignores. Cases marked
 * "synthesized" change a real document where engine 20.10 cannot store the case (it needs a plugin,
 * experimental mode, or a newer API).
 */
const { plainContainer, containerChanges: changed, service, volume, network, exec } = fixtures;
const C = PolicyCode;

/** A captured container: the plain document with what the engine stored differently for that case. */
function container(name: keyof typeof changed): Record<string, unknown> {
  const change: Record<string, unknown> = changed[name];
  return { ...plainContainer, ...change, HostConfig: { ...plainContainer.HostConfig, ...(change.HostConfig as object | undefined) } };
}

/** `doc` with every object key in lower case (Go's decoder and the oracle match field names case-insensitively). */
function lowerKeys(doc: unknown): unknown {
  if (Array.isArray(doc)) return doc.map(lowerKeys);
  return isObject(doc) ? Object.fromEntries(Object.entries(doc).map(([k, v]) => [k.toLowerCase(), lowerKeys(v)])) : doc;
}

const withSpec = (doc: (typeof service)['plain'], taskTemplate: Record<string, unknown>) => ({ ...doc, Spec: { ...doc.Spec, TaskTemplate: { ...doc.Spec.TaskTemplate, ...taskTemplate } } });

type Case = readonly [name: string, kind: StoredKind, inspected: unknown, expected: PolicyCode | null];

const CASES: Case[] = [
  ['plain container', 'container', plainContainer, null],
  ['named, anonymous and tmpfs volumes, CapDrop ALL, CapAdd CHOWN, memory and CPU limits, no-new-privileges, read-only root', 'container', container('ordinary'), null],
  ['masked paths beyond the defaults', 'container', container('maskmore'), null],
  ['VolumeDriver local', 'container', container('voldriver'), null],
  ['privileged (the engine also stores label=disable and no masked paths)', 'container', container('privileged'), C.PRIVILEGED],
  ['CapAdd SYS_ADMIN (stored as CAP_SYS_ADMIN)', 'container', container('capadd'), C.CAP_ADD],
  ['seccomp and AppArmor unconfined', 'container', container('seccomp'), C.SECURITY_OPT],
  ['systempaths=unconfined (stored as empty lists)', 'container', container('systempaths'), C.SECURITY_OPT],
  ['masked paths fewer than the defaults', 'container', container('masksome'), C.SECURITY_OPT],
  ['AppArmor profile unconfined without a security option (synthesized)', 'container', { ...plainContainer, AppArmorProfile: 'unconfined' }, C.SECURITY_OPT],
  ['bind of / in Binds', 'container', container('bind'), C.HOST_MOUNT],
  ['mount of type bind', 'container', container('mountbind'), C.HOST_MOUNT],
  ['--volumes-from a container with a bind: only the stored mounts show it', 'container', container('volfrom'), C.HOST_MOUNT],
  ['volume mount with driver options type=none,o=bind', 'container', container('volopts'), C.HOST_MOUNT],
  ['mounted volume of a non-local driver (synthesized)', 'container', { ...container('ordinary'), Mounts: [{ Type: 'volume', Name: 'v', Driver: 'sshfs', Destination: '/v' }] }, C.HOST_MOUNT],
  ['devices', 'container', container('devices'), C.DEVICES],
  ['device cgroup rules', 'container', container('cgrules'), C.DEVICES],
  ['device requests (--gpus all)', 'container', container('gpus'), C.DEVICES],
  ['pid host (the engine adds label=disable: the code still names the namespace)', 'container', container('pid'), C.HOST_NAMESPACE],
  ['ipc host', 'container', container('ipc'), C.HOST_NAMESPACE],
  ['network host', 'container', container('net'), C.HOST_NAMESPACE],
  ['network given as the host network id: NetworkSettings names it host', 'container', container('netid'), C.HOST_NAMESPACE],
  ['userns host', 'container', container('userns'), C.HOST_NAMESPACE],
  ['uts host', 'container', container('uts'), C.HOST_NAMESPACE],
  ['cgroup parent', 'container', container('cgparent'), C.CGROUP_PARENT],
  ['sysctls', 'container', container('sysctl'), C.SYSCTLS],
  ['runtime io.containerd.runc.v2', 'container', container('runtime'), C.RUNTIME],
  ['a container document without HostConfig (nothing shows the system paths masked)', 'container', { Id: 'x' }, C.SECURITY_OPT],
  ['plain service', 'service', service.plain, null],
  ['service with volume and tmpfs mounts, limits, CapDrop ALL, an overlay network, a host-mode port', 'service', service.ordinary, null],
  ['service CapabilityAdd', 'service', service['cap-add'], C.CAP_ADD],
  ['service updated to add SYS_ADMIN', 'service', service['updated-to-cap-add'], C.CAP_ADD],
  ['service updated away from SYS_ADMIN (PreviousSpec is not judged)', 'service', service['updated-from-cap-add'], null],
  ['service bind mount', 'service', service.bind, C.HOST_MOUNT],
  ['service volume mount with driver options', 'service', service['volume-options'], C.HOST_MOUNT],
  ['service volume mount of a non-local driver', 'service', service['volume-driver'], C.HOST_MOUNT],
  ['service sysctls', 'service', service.sysctl, C.SYSCTLS],
  ['service with SELinux disabled', 'service', service['selinux-disabled'], C.SECURITY_OPT],
  ['service devices sent to API 1.41 are not stored', 'service', service['devices-not-stored'], null],
  ['service devices as newer engines store them (synthesized)', 'service', withSpec(service.plain, { ContainerSpec: { Image: 'x', Devices: [{ PathOnHost: '/dev/sda' }] } }), C.DEVICES],
  ['plugin service (synthesized: 20.10 needs experimental mode)', 'service', withSpec(service.plain, { Runtime: 'plugin', PluginSpec: { Name: 'p', Remote: 'p:latest' } }), C.PLUGINS],
  ['local volume without options', 'volume', volume.local, null],
  ['local volume binding a host path', 'volume', volume['bind-options'], C.HOST_MOUNT],
  ['local volume with tmpfs options', 'volume', volume['tmpfs-options'], C.HOST_MOUNT],
  ['volume a container mount with driver options created', 'volume', volume['created-by-a-mount-with-options'], C.HOST_MOUNT],
  ['volume of a non-local driver (synthesized)', 'volume', { ...volume.local, Driver: 'sshfs' }, C.HOST_MOUNT],
  ...(['bridge-default', 'none', 'bridge', 'bridge-internal', 'overlay', 'overlay-encrypted', 'ingress'] as const).map((n): Case => [`${n} network`, 'network', network[n], null]),
  ['the host network', 'network', network.host, C.HOST_NAMESPACE],
  ["the swarm's host network", 'network', network['swarm-host'], C.HOST_NAMESPACE],
  ['privileged exec', 'exec', exec.privileged, C.PRIVILEGED],
  ['exec as another user with a tty', 'exec', exec.plain, null],
];

describe('storedViolation', () => {
  it.each(CASES)('%s (%s)', (_name, kind, inspected, expected) => {
    expect(storedViolation(kind, inspected)?.code ?? null).toBe(expected);
  });

  it.each(CASES)('%s (%s), every key in lower case', (_name, kind, inspected, expected) => {
    expect(storedViolation(kind, lowerKeys(inspected))?.code ?? null).toBe(expected);
  });
});

describe('storedReferences', () => {
  const anonymous = container('ordinary').Mounts as Array<{ Name?: string }>;
  it.each<readonly [string, StoredKind, unknown, ReadonlyArray<{ kind: StoredKind; id: string }>]>([
    ["a container's named and anonymous volumes, once each", 'container', container('ordinary'), [{ kind: 'volume', id: 'oracle-data' }, { kind: 'volume', id: anonymous[3]?.Name ?? '' }]],
    ['the volume a mount with driver options created', 'container', container('volopts'), [{ kind: 'volume', id: 'oracle-bindvol' }]],
    ['no volumes behind a bind', 'container', container('bind'), []],
    ['a service on the host network, stored by id', 'service', service['host-network'], [{ kind: 'network', id: network['swarm-host'].Id }]],
    ['the host network named in the request, stored by id', 'service', service['host-network-by-name'], [{ kind: 'network', id: network['swarm-host'].Id }]],
    ['the deprecated Spec.Networks', 'service', service['host-network-deprecated-field'], [{ kind: 'network', id: network['swarm-host'].Id }]],
    ['an overlay network', 'service', service.ordinary, [{ kind: 'network', id: network.overlay.Id }]],
    ['nothing for a plain service', 'service', service.plain, []],
    ['nothing for a volume', 'volume', volume.local, []],
  ])('%s', (_name, kind, inspected, expected) => {
    expect(storedReferences(kind, inspected)).toEqual(expected);
  });

  it('refuses a service on the host network through its reference, not its own document', () => {
    expect(storedViolation('service', service['host-network'])).toBeUndefined();
    const [ref] = storedReferences('service', service['host-network']);
    expect(ref?.kind).toBe('network');
    expect(storedViolation('network', network['swarm-host'])?.code).toBe(C.HOST_NAMESPACE);
  });
});

describe('storedId', () => {
  it.each<readonly [StoredKind, unknown, string]>([
    ['container', plainContainer, plainContainer.Id],
    ['service', service.plain, service.plain.ID],
    ['volume', volume.local, 'oracle-data'],
    ['network', network.bridge, network.bridge.Id],
    ['exec', exec.plain, exec.plain.ID],
  ])('%s', (kind, inspected, expected) => {
    expect(storedId(kind, inspected)).toBe(expected);
  });
});
