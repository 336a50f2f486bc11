import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { CARINA_BIN, CliSandbox, disposeServer, rowOf } from './support/cli.js';
import { nodeDocker, TestServer } from './support/server.js';

// An operation that ends in `error`: the server carves node networks out of a pool that a Docker
// network of the test already occupies, so creating the cluster network fails (once is enough:
// CARINA_MAX_FAILURES=1). Restarted with the default pool, `carina rebuild --wait` repairs it.
const BLOCKED_POOL = '10.252.0.0/16';

describe('carina CLI: a cluster operation that fails', () => {
  const server = new TestServer('clifail');
  const docker = nodeDocker; // the pool is blocked where node networks are made
  const blockerName = `clitest-pool-${process.pid}`;
  let cli: CliSandbox;
  let reason = '';

  beforeAll(async () => {
    await docker.createNetwork({ Name: blockerName, Driver: 'bridge', IPAM: { Config: [{ Subnet: BLOCKED_POOL }] } });
    await server.start({ CARINA_NODE_SUBNET_POOL: BLOCKED_POOL, CARINA_MAX_FAILURES: '1' });
    const key = await server.createAccount('erin');
    cli = new CliSandbox('fail', { CARINA_ENDPOINT: server.url, CARINA_APIKEY: key });
  });
  afterAll(async () => {
    await disposeServer(server);
    await docker.getNetwork(blockerName).remove().catch(() => undefined);
    await cli?.cleanup();
  });

  it('create --wait exits 1 and prints the reason when the cluster goes to error', async () => {
    const r = await cli.carina(['create', 'broken', '--nodes', '2', '--wait', '--timeout', '2m']);
    expect(r.code, r.stderr).toBe(1);
    const got = JSON.parse((await cli.carina(['get', 'broken', '--json'])).stdout);
    expect(got.status).toBe('error');
    reason = got.status_reason;
    expect(reason.length).toBeGreaterThan(10);
    expect(r.stderr.trim().split('\n').pop()).toBe(`carina: cluster broken failed: ${reason} (CARINA_ERR_CLUSTER_FAILED)`);
  });

  it('get shows the error row and the reason on stderr (exit 0: the request itself worked)', async () => {
    const r = await cli.carina(['get', 'broken']);
    expect(r.code).toBe(0);
    expect(rowOf(r.stdout, 'broken')).toBe('broken  container1-4G  2  false  error');
    expect(r.stderr).toBe(`carina: broken is in error: ${reason}\n`);
    const wait = await cli.carina(['get', 'broken', '--wait']);
    expect(wait.code).toBe(1);
  });

  it('rebuild --wait repairs it once the cause is gone', async () => {
    await server.stop();
    await server.start();
    const r = await cli.carina(['rebuild', 'broken', '--wait', '--timeout', '2m']);
    expect(r.code, r.stderr).toBe(0);
    expect(rowOf(r.stdout, 'broken')).toBe('broken  container1-4G  2  false  active');
  });

  it('events shows the history; --follow streams JSON lines and stops when the cluster is gone', async () => {
    const events = await cli.carina(['events', 'broken']);
    expect(events.stdout).toMatch(/ error +.*\n[\s\S]* rebuild +/);
    const follow = spawn(process.execPath, [CARINA_BIN, 'events', 'broken', '--follow', '--json'], { env: cli.env(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    follow.stdout.on('data', (c: Buffer) => (out += c.toString()));
    follow.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const exited = new Promise<number | null>((resolve) => follow.on('close', resolve));
    const rm = await cli.carina(['rm', 'broken']);
    expect(rm.code, rm.stderr).toBe(0);
    const code = await Promise.race([exited, new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 30_000))]);
    if (code === 'hung') follow.kill('SIGKILL');
    expect(code).toBe(0);
    const lines = out.trim().split('\n').map((l) => JSON.parse(l) as { type: string });
    expect(lines.map((e) => e.type)).toContain('created');
    expect(err).toContain('carina: cluster broken is gone; stopped following');
  });
});
