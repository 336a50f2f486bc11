import { join } from 'node:path';
import Dockerode from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from './support/api-client.js';
import { dockerWithBundle, extractBundle } from './support/docker-cli.js';
import { dockerResult, GatewayClient } from './support/gateway-client.js';
import { TestServer } from './support/server.js';

// The three ways a tenant got past the gateway's policy (issue 10), each sent as the attacker sent
// it, through a real cluster's gateway. Each test checks the refusal *and* what the engine holds
// afterwards: that nothing of the attack was created or applied.
const image = 'carina/busybox';

describe('Docker API gateway: requests that read differently to the policy and to the engine', () => {
  const server = new TestServer('gwbyp');
  let api: ApiClient;
  let bundle = '';
  let client: GatewayClient;

  beforeAll(async () => {
    await server.start();
    api = new ApiClient(server.url, await server.createAccount('mallory'));
    expect((await api.request('POST', '/v1/clusters', { name: 'byp', nodes: 1 })).status).toBe(202);
    await api.waitFor('byp', (c) => c.status === 'active' && c.nodes_ready === 1, 240_000);
    bundle = (await extractBundle((await api.request('GET', '/v1/clusters/byp/credentials')).body as Buffer)).dir;
    client = new GatewayClient(bundle);
  });
  afterAll(async () => {
    client?.close();
    await server.cleanup();
  });

  const inspect = async (ref: string) => (await client.request('GET', `/v1.41/containers/${ref}/json`)).json;

  it.each([
    ['containers/create with a second, empty HostConfig', '/v1.41/containers/create?name=dupct',
      `{"Image":"${image}","Cmd":["true"],"HostConfig":{"Binds":["/:/host"],"PidMode":"host","CapAdd":["SYS_ADMIN"],"SecurityOpt":["seccomp=unconfined"]},"HostConfig":{}}`],
    ['containers/create with HostConfig in another case', '/v1.41/containers/create?name=dupct',
      `{"Image":"${image}","Cmd":["true"],"HostConfig":{"Privileged":true},"hostConfig":{"Memory":0}}`],
    ['volumes/create with a second, empty DriverOpts', '/v1.41/volumes/create',
      '{"Name":"dupvol","Driver":"local","DriverOpts":{"type":"none","o":"bind","device":"/run/carina"},"DriverOpts":{}}'],
    ['services/create with a second TaskTemplate', '/v1.41/services/create',
      `{"Name":"dupsvc","TaskTemplate":{"ContainerSpec":{"Image":"${image}","Args":["sleep","60"],"Mounts":[{"Type":"bind","Source":"/","Target":"/h"}],"CapabilityAdd":["CAP_SYS_ADMIN"]}},"TaskTemplate":{"ContainerSpec":{"Image":"${image}"}}}`],
  ])('refuses repeated JSON fields: %s', async (_name, path, body) => {
    const res = await client.request('POST', path, body);
    expect({ status: res.status, code: res.json?.code }).toEqual({ status: 400, code: 'CARINA-1095' });
    expect((await client.request('GET', '/v1.41/containers/dupct/json')).status).toBe(404);
    expect((await client.request('GET', '/v1.41/volumes/dupvol')).status).toBe(404);
    expect((await client.request('GET', '/v1.41/services/dupsvc')).status).toBe(404);
  });

  it("refuses a legacy link's alias as a container reference, so no host config reaches the linked container", async () => {
    await dockerWithBundle(bundle, ['run', '-d', '--name', 'lnktarget', image, 'sleep', '600']);
    await dockerWithBundle(bundle, ['create', '--name', 'lnk', '--link', 'lnktarget:alias', image, 'true']);
    await dockerWithBundle(bundle, ['stop', '-t', '0', 'lnktarget']);
    const start = await client.request('POST', '/v1.23/containers/lnk/alias/start', { Binds: ['/:/host'], CapAdd: ['SYS_ADMIN'], PidMode: 'host' });
    expect({ status: start.status, code: start.json?.code }).toEqual({ status: 400, code: 'CARINA-1096' });
    const target = await inspect('lnktarget');
    expect({ running: target.State.Running, binds: target.HostConfig.Binds, caps: target.HostConfig.CapAdd, pid: target.HostConfig.PidMode })
      .toEqual({ running: false, binds: null, caps: null, pid: '' });
    const exec = await client.request('POST', '/v1.41/containers/lnk/alias/exec', { Cmd: ['true'], Privileged: true });
    expect({ status: exec.status, code: exec.json?.code }).toEqual({ status: 400, code: 'CARINA-1096' });
  });

  it('refuses a body on GET or DELETE, so a chunked body cannot become a second, unchecked request', async () => {
    const smuggled = JSON.stringify({ Image: image, Cmd: ['true'], HostConfig: { Binds: ['/:/host'] } });
    const inner = `POST /v1.41/containers/create?name=smuggled HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\nContent-Length: ${smuggled.length}\r\n\r\n${smuggled}`;
    for (const method of ['GET', 'DELETE']) {
      const chunk = `${inner.length.toString(16)}\r\n${inner}\r\n0\r\n\r\n`;
      const path = method === 'GET' ? '/v1.41/containers/json' : '/v1.41/containers/nosuch';
      const answer = await client.raw(`${method} ${path} HTTP/1.1\r\nHost: docker\r\nTransfer-Encoding: chunked\r\n\r\n${chunk}`);
      expect(answer).toMatch(/^HTTP\/1\.1 400 /);
      expect(answer).toContain('CARINA-1097');
      expect(answer.match(/HTTP\/1\.1 /g)).toHaveLength(1);
    }
    expect((await client.request('GET', '/v1.41/containers/smuggled/json')).status).toBe(404);
    const { entries } = (await api.request('GET', '/v1/clusters/byp/audit')).body as { entries: any[] };
    expect(entries.filter((e) => e.denied_code === 'CARINA-1097').map((e) => e.method)).toEqual(['GET', 'DELETE']);
    expect(entries.some((e) => String(e.path).includes('smuggled'))).toBe(false);
  });

  it('refuses pipelined requests and transfer codings it does not forward', async () => {
    const pipelined = await client.raw('GET /v1.41/version HTTP/1.1\r\nHost: docker\r\n\r\nGET /v1.41/info HTTP/1.1\r\nHost: docker\r\n\r\n');
    expect(pipelined).toMatch(/^HTTP\/1\.1 200 /);
    expect(pipelined).toContain('CARINA-1097');
    const gzip = await client.raw('POST /v1.41/containers/create HTTP/1.1\r\nHost: docker\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n');
    expect(gzip).toMatch(/^HTTP\/1\.1 400 [^]*CARINA-1097/);
  });

  // The oracle on its own: objects made behind the gateway's back, on the manager's own socket, stand
  // for whatever a future parser difference could let through. The gateway must judge what the engine
  // really stored, remove it, and refuse.
  it('removes a container whose stored mounts break the policy, though its request looked allowed', async () => {
    const id = ((await api.request('GET', '/v1/clusters/byp')).body as { id: string }).id;
    const node = new Dockerode({ socketPath: join(server.dataDir, 'nodes', id, 'n0', 'docker.sock') });
    await node.createContainer({ name: 'hostroot', Image: image, Cmd: ['true'], HostConfig: { Binds: ['/:/host'] } });
    // --volumes-from is allowed on purpose (the other container passed the same checks): not this one.
    const res = await client.request('POST', '/v1.41/containers/create?name=borrower', { Image: image, Cmd: ['true'], HostConfig: { VolumesFrom: ['hostroot'] } });
    expect({ status: res.status, code: res.json?.code }).toEqual({ status: 403, code: 'CARINA-1002' });
    expect((await client.request('GET', '/v1.41/containers/borrower/json')).status).toBe(404);
    const { entries } = (await api.request('GET', '/v1/clusters/byp/audit')).body as { entries: any[] };
    expect(entries.filter((e) => e.path === '/v1.41/containers/create?name=borrower').map((e) => [e.status, e.denied_code])).toEqual([[403, 'CARINA-1002']]);

    await dockerWithBundle(bundle, ['run', '-d', '--name', 'execbase', image, 'sleep', '600']);
    const privileged = await (await node.getContainer('execbase').exec({ Cmd: ['true'], Privileged: true })).inspect();
    const plain = await (await node.getContainer('execbase').exec({ Cmd: ['true'] })).inspect();
    const start = await client.request('POST', `/v1.41/exec/${privileged.ID}/start`, { Detach: true });
    expect({ status: start.status, code: start.json?.code }).toEqual({ status: 403, code: 'CARINA-1001' });
    expect((await node.getExec(privileged.ID).inspect()).Pid).toBe(0);
    expect((await client.request('POST', `/v1.41/exec/${plain.ID}/start`, { Detach: true })).status).toBe(200);
    expect((await dockerResult(bundle, ['exec', 'execbase', 'true'])).code).toBe(0);
  });

  it('still runs what the policy allows, sent the ordinary way', async () => {
    const res = await client.request('POST', '/v1.41/containers/create?name=plain', { Image: image, Cmd: ['true'], HostConfig: { Binds: ['data:/data'], Memory: 64 << 20 }, Labels: { a: '1', b: '2' } });
    expect(res.status).toBe(201);
    const created = await inspect('plain');
    expect({ binds: created.HostConfig.Binds, memory: created.HostConfig.Memory, labels: created.Config.Labels }).toEqual({ binds: ['data:/data'], memory: 64 << 20, labels: { a: '1', b: '2' } });
    expect((await dockerWithBundle(bundle, ['run', '--rm', image, 'echo', 'hello'])).trim()).toBe('hello');
  });
});
