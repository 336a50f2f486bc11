import { EngineLink } from '../src/gateway/upstream.js';
import Dockerode from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkStored, removeStored, storedTarget } from '../src/gateway/stored-check.js';

// The post-create oracle against the machine's real engine, with objects created straight through the
// engine (bypassing any gateway and its request policy), as a parser difference would let them through.
const SOCKET = '/var/run/docker.sock';
const run = `oracle-${process.pid}`;
const labels = { 'carina.test': run };
const image = 'carina/busybox';
const docker = new Dockerode({ socketPath: SOCKET });
const ep = { engine: EngineLink.unix(SOCKET) };
// Volumes created by a mount carry no label: remove them by name.
const volumeNames = [`${run}-bindopts`, `${run}-mounted`];

async function createContainer(hostConfig: Dockerode.HostConfig, name?: string): Promise<string> {
  const c = await docker.createContainer({ Image: image, Cmd: ['sleep', '60'], Labels: labels, HostConfig: hostConfig, ...(name && { name }) });
  const target = storedTarget('POST', '/containers/create', { Id: c.id });
  expect(target).toEqual({ kind: 'container', id: c.id });
  return c.id;
}

async function exists(inspect: Promise<unknown>): Promise<boolean> {
  try {
    await inspect;
    return true;
  } catch (e) {
    if ((e as { statusCode?: number }).statusCode === 404) return false;
    throw e;
  }
}

async function cleanUp(): Promise<void> {
  const filters = { label: [`carina.test=${run}`] };
  for (const c of await docker.listContainers({ all: true, filters })) await docker.getContainer(c.Id).remove({ force: true, v: true });
  for (const n of await docker.listNetworks({ filters })) await docker.getNetwork(n.Id).remove();
  const volumes = (await docker.listVolumes({ filters })).Volumes ?? [];
  for (const name of [...volumes.map((v) => v.Name), ...volumeNames]) await docker.getVolume(name).remove({ force: true }).catch(() => undefined);
}

describe('post-create oracle (real engine)', () => {
  beforeAll(cleanUp);
  afterAll(async () => {
    await cleanUp();
    ep.engine.destroy();
  });

  it('finds a host bind the engine stored (CARINA-1002) and removes the container', async () => {
    const id = await createContainer({ Binds: ['/:/host'] });
    const found = await checkStored(ep, 'container', id);
    expect(found).toMatchObject({ code: 'CARINA-1002', id });
    await removeStored(ep, 'container', id);
    expect(await exists(docker.getContainer(id).inspect())).toBe(false);
  });

  it('lets a clean container pass, in a few milliseconds', async () => {
    const id = await createContainer({ Binds: [`${run}-mounted:/data`], Tmpfs: { '/t': '' }, CapDrop: ['ALL'], Memory: 64 << 20, SecurityOpt: ['no-new-privileges'] });
    const started = performance.now();
    expect(await checkStored(ep, 'container', id)).toBeUndefined();
    const ms = performance.now() - started;
    console.log(`stored-check: a clean container with one volume checked in ${ms.toFixed(1)} ms`);
    expect(ms).toBeLessThan(1_000);
  });

  it('finds a bind reached through --volumes-from, which the request policy allows', async () => {
    const source = await createContainer({ Binds: ['/etc:/host-etc:ro'] });
    const id = await createContainer({ VolumesFrom: [source] });
    expect(await checkStored(ep, 'container', id)).toMatchObject({ code: 'CARINA-1002' });
  });

  it('removes a container with a bind-option volume mount, and the volume the mount created', async () => {
    const name = `${run}-bindopts`;
    const options = { type: 'none', o: 'bind', device: '/etc' };
    const mount: Dockerode.MountSettings = { Type: 'volume', Source: name, Target: '/v', VolumeOptions: { NoCopy: false, Labels: {}, DriverConfig: { Name: 'local', Options: options } } };
    const id = await createContainer({ Mounts: [mount] });
    expect(await checkStored(ep, 'container', id)).toMatchObject({ code: 'CARINA-1002' });
    await removeStored(ep, 'container', id);
    expect(await exists(docker.getContainer(id).inspect())).toBe(false);
    expect(await exists(docker.getVolume(name).inspect())).toBe(false);
  });

  it('resolves a reference by name to the engine id, and finds a bad volume behind a plain named mount', async () => {
    const name = `${run}-bindvol`;
    await docker.createVolume({ Name: name, Labels: labels, DriverOpts: { type: 'none', o: 'bind', device: '/etc' } });
    expect(await checkStored(ep, 'volume', name)).toMatchObject({ code: 'CARINA-1002', id: name });
    const id = await createContainer({ Binds: [`${name}:/v`] }, `${run}-named`);
    expect(await checkStored(ep, 'container', `${run}-named`)).toMatchObject({ code: 'CARINA-1002', id });
    await removeStored(ep, 'container', id);
    expect(await exists(docker.getVolume(name).inspect())).toBe(false);
  });

  it('judges networks and execs', async () => {
    const net = await docker.createNetwork({ Name: `${run}-net`, Labels: labels });
    expect(await checkStored(ep, 'network', net.id)).toBeUndefined();
    expect(await checkStored(ep, 'network', 'host')).toMatchObject({ code: 'CARINA-1005' });
    const box = await docker.createContainer({ Image: image, Cmd: ['sleep', '60'], Labels: labels });
    await box.start();
    const privileged = await box.exec({ Cmd: ['true'], Privileged: true });
    expect(await checkStored(ep, 'exec', privileged.id)).toMatchObject({ code: 'CARINA-1001', id: privileged.id });
    await removeStored(ep, 'exec', privileged.id); // a no-op: the engine cannot remove exec instances
    const plain = await box.exec({ Cmd: ['true'], User: 'nobody' });
    expect(await checkStored(ep, 'exec', plain.id)).toBeUndefined();
  });

  it('rejects when the object cannot be inspected', async () => {
    await expect(checkStored(ep, 'container', `${run}-missing`)).rejects.toThrow(/inspect container/);
    await expect(checkStored({ engine: EngineLink.unix('/nonexistent.sock') }, 'volume', 'x')).rejects.toThrow(/inspect volume x/);
  });
});
