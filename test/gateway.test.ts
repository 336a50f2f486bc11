import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiClient } from './support/api-client.js';
import { dockerWithBundle, extractBundle } from './support/docker-cli.js';
import { dockerResult, endpointOf, GatewayClient, shellWithBundle } from './support/gateway-client.js';
import { nodeDocker, TestServer } from './support/server.js';

const host = nodeDocker; // the engine the nodes run on
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Open sockets of the process listening on `port` (the control plane). */
function socketsOf(port: number): number {
  const line = execFileSync('ss', ['-Hltnp', `sport = :${port}`], { encoding: 'utf8' });
  const pid = /pid=(\d+)/.exec(line)?.[1];
  if (!pid) throw new Error(`nothing listens on ${port}`);
  return readdirSync(`/proc/${pid}/fd`).filter((fd) => {
    try {
      return readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:');
    } catch {
      return false;
    }
  }).length;
}

/** Established client connections to the gateway's `port`. */
function established(port: number): number {
  return execFileSync('ss', ['-Htn', 'state', 'established', `sport = :${port}`], { encoding: 'utf8' }).split('\n').filter((l) => l.trim() !== '').length;
}

// The real docker client (and docker-compose) through the gateway, for everything that streams or hijacks.
describe('Docker API gateway: fidelity (real engine, real docker client)', () => {
  const server = new TestServer('gw');
  let api: ApiClient;
  let bundle = '';
  let clusterId = '';

  beforeAll(async () => {
    await server.start();
    api = new ApiClient(server.url, await server.createAccount('alice'));
    const res = await api.request('POST', '/v1/clusters', { name: 'gw', nodes: 1 });
    expect(res.status).toBe(202);
    clusterId = res.body.id;
    await api.waitFor('gw', (c) => c.status === 'active', 240_000);
    bundle = (await extractBundle((await api.request('GET', '/v1/clusters/gw/credentials')).body as Buffer)).dir;
    await dockerWithBundle(bundle, ['run', '-d', '--name', 'ticker', 'carina/busybox', 'sh', '-c', 'i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.1; done']);
  });
  afterAll(() => server.cleanup());

  it('is the only way in: the manager publishes nothing and its engine listens only on its socket', async () => {
    const manager = await host.getContainer(`carina-${clusterId}-n0`).inspect();
    expect(manager.HostConfig.PortBindings ?? {}).toEqual({});
    expect(Object.keys(manager.NetworkSettings.Ports ?? {})).toEqual([]);
    expect(manager.Args.join(' ')).not.toMatch(/tcp:|tls/);
    const { port } = endpointOf(bundle);
    expect(socketsOf(port)).toBeGreaterThan(0); // the control plane itself listens on the cluster's port
  });

  it('negotiates the API version and answers pings with the engine headers', async () => {
    expect((await dockerWithBundle(bundle, ['version', '--format', '{{.Server.APIVersion}}'])).trim()).toBe('1.41');
    const client = new GatewayClient(bundle);
    const ping = await client.request('GET', '/_ping');
    client.close();
    expect(ping).toMatchObject({ status: 200, text: 'OK' });
  });

  it('runs `run -it` with a pseudo-terminal driven by a script', async () => {
    const { stdout } = await shellWithBundle(bundle, `printf 'tty\\necho hi-from-$((6*7))\\nexit 3\\n' | script -qec "docker run -it --rm carina/busybox sh" /dev/null || echo "exit=$?"`);
    expect(stdout).toMatch(/\/dev\/pts\/\d+/);
    expect(stdout).toContain('hi-from-42');
    expect(stdout).toContain('exit=3');
  });

  it('passes stdin to `exec -i` and `run -i`, with the end of input reaching the container', async () => {
    expect((await dockerResult(bundle, ['exec', '-i', 'ticker', 'sh', '-c', 'cat; echo done'], { input: 'line one\nline two\n' })).stdout).toBe('line one\nline two\ndone\n');
    const big = randomBytes(300_000).toString('base64');
    const out = await dockerResult(bundle, ['run', '-i', '--rm', 'carina/busybox', 'sha256sum'], { input: big });
    expect(out.stdout.split(' ')[0]).toBe(sha256(Buffer.from(big)));
  });

  it('streams `logs -f` until the client ends it, and then lets go of the engine connection', async () => {
    const { port } = endpointOf(bundle);
    await sleep(1_000);
    const before = socketsOf(port);
    for (let round = 0; round < 5; round++) {
      const child = spawn('bash', ['-c', `source '${bundle}/docker.env'; exec docker logs -f --tail 0 ticker`], { env: { PATH: process.env.PATH ?? '', HOME: bundle } });
      let seen = '';
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no streamed lines: ${seen}`)), 10_000);
        child.stdout.on('data', (c: Buffer) => {
          seen += c.toString();
          if (seen.split('\n').length > 3) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      expect(established(port)).toBe(1);
      child.kill('SIGINT');
      await new Promise((resolve) => child.on('close', resolve));
    }
    await sleep(1_000);
    expect(established(port)).toBe(0);
    // Five followed streams ended by the client left no connection to the engine behind.
    expect(socketsOf(port)).toBeLessThanOrEqual(before + 2);
  });

  it('copies files both ways with `docker cp`', async () => {
    const dir = join(bundle, 'cp');
    mkdirSync(dir);
    const data = randomBytes(3 * 1024 * 1024);
    writeFileSync(join(dir, 'in.bin'), data);
    await dockerWithBundle(bundle, ['cp', join(dir, 'in.bin'), 'ticker:/tmp/in.bin']);
    expect((await dockerWithBundle(bundle, ['exec', 'ticker', 'sha256sum', '/tmp/in.bin'])).split(' ')[0]).toBe(sha256(data));
    await dockerWithBundle(bundle, ['cp', 'ticker:/tmp/in.bin', join(dir, 'out.bin')]);
    expect(sha256(readFileSync(join(dir, 'out.bin')))).toBe(sha256(data));
  });

  it('builds a small context with `docker build`', async () => {
    const ctx = join(bundle, 'ctx');
    mkdirSync(ctx);
    writeFileSync(join(ctx, 'Dockerfile'), 'FROM carina/busybox\nCOPY greeting.txt /greeting.txt\nRUN wc -c /greeting.txt > /size.txt\n');
    writeFileSync(join(ctx, 'greeting.txt'), 'built through the gateway\n');
    const build = await dockerResult(bundle, ['build', '-q', '-t', 'gw/built', ctx], { timeoutMs: 120_000 });
    expect(build.code, build.stderr).toBe(0);
    expect((await dockerWithBundle(bundle, ['run', '--rm', 'gw/built', 'cat', '/greeting.txt', '/size.txt'])).trim()).toBe('built through the gateway\n26 /greeting.txt');
  });

  it('streams `docker events` as they happen', async () => {
    const child = spawn('bash', ['-c', `source '${bundle}/docker.env'; exec docker events --filter type=container --filter event=start --format '{{.Actor.Attributes.name}}'`], {
      env: { PATH: process.env.PATH ?? '', HOME: bundle },
    });
    let seen = '';
    child.stdout.on('data', (c: Buffer) => (seen += c.toString()));
    await sleep(1_000);
    await dockerWithBundle(bundle, ['run', '--rm', '--name', 'evented', 'carina/busybox', 'true']);
    const deadline = Date.now() + 10_000;
    while (!seen.includes('evented') && Date.now() < deadline) await sleep(100);
    child.kill('SIGINT');
    expect(seen).toContain('evented');
  });

  it('saves and loads images with `docker save` and `docker load`', async () => {
    const tar = join(bundle, 'image.tar');
    await dockerWithBundle(bundle, ['save', '-o', tar, 'gw/built']);
    await dockerWithBundle(bundle, ['rmi', 'gw/built']);
    expect(await dockerWithBundle(bundle, ['load', '-i', tar])).toContain('Loaded image: gw/built:latest');
  });

  it.skipIf(!existsSync('/usr/bin/docker-compose'))('works with docker-compose unchanged', async () => {
    const dir = join(bundle, 'compose');
    mkdirSync(dir);
    writeFileSync(join(dir, 'docker-compose.yml'), 'version: "3.7"\nservices:\n  web:\n    image: carina/busybox\n    command: sleep 300\n    volumes: [data:/data]\nvolumes:\n  data: {}\n');
    const compose = (args: string) => shellWithBundle(bundle, `cd compose && docker-compose ${args} 2>&1`, 120_000);
    await compose('up -d');
    expect((await compose('exec -T web sh -c "echo hello > /data/f; cat /data/f"')).stdout).toContain('hello');
    expect((await compose('ps')).stdout).toMatch(/compose_web_1 .* Up/);
    await compose('down -v');
  });
});
