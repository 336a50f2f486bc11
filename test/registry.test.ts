import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliSandbox, disposeServer } from './support/cli.js';
import { hostDocker, TestServer } from './support/server.js';

// The private registry end to end: Debian's docker-registry behind Carina's front and token server,
// the real docker client and daemon on the "user's machine" (this host's engine), and a real
// 3-node swarm pulling through the gateway with the account's pull credential.
describe('private registry: build, push, run on every node', () => {
  const server = new TestServer('registry', { env: { CARINA_REGISTRY: 'on' } });
  let alice: CliSandbox;
  let bob: CliSandbox;
  let address = '';
  let base = '';
  const apiKeys: Record<string, string> = {};

  const registryInfo = async (who: 'alice' | 'bob') => {
    const r = await server.fetch(`${server.url}/v1/registry`, { headers: { authorization: `Bearer ${apiKeys[who]}` } });
    expect(r.status).toBe(200);
    return (await r.json()) as { address: string; namespace: string; quota_bytes: number; used_bytes: number; ca_pem: string };
  };

  beforeAll(async () => {
    await server.start();
    for (const who of ['alice', 'bob'] as const) apiKeys[who] = await server.createAccount(who);
    alice = new CliSandbox('reg-alice', { CARINA_ENDPOINT: server.url, CARINA_USERNAME: 'alice', CARINA_APIKEY: apiKeys.alice ?? '', CI: 'true' });
    bob = new CliSandbox('reg-bob', { CARINA_ENDPOINT: server.url, CARINA_USERNAME: 'bob', CARINA_APIKEY: apiKeys.bob ?? '', CI: 'true' });
    // The workload image every node has, as the user's own daemon has it too (built by the e2e setup).
    const images = await hostDocker.listImages({ filters: { reference: ['carina/busybox'] } });
    base = images.flatMap((i) => i.RepoTags ?? []).find((t) => t.startsWith('carina/busybox:')) ?? '';
    expect(base).not.toBe('');
  });
  afterAll(async () => {
    await disposeServer(server);
    for (const s of [alice, bob]) await s?.cleanup();
    if (address) {
      for (const tag of ['alice/app:1', 'bob/big:1']) await hostDocker.getImage(`${address}/${tag}`).remove({ force: true }).catch(() => undefined);
    }
  });

  it('GET /v1/registry names the address, the namespace, the quota and the CA', async () => {
    const info = await registryInfo('alice');
    address = info.address;
    expect(info).toMatchObject({ namespace: 'alice', used_bytes: 0, quota_bytes: 10 * 2 ** 30 });
    expect(info.address).toMatch(/^[\d.]+:\d+$/);
    expect(info.ca_pem).toContain('BEGIN CERTIFICATE');
  });

  it('alice logs in with her API key, builds with the real docker build and pushes', async () => {
    await writeFile(join(alice.dir, 'Dockerfile'), `FROM ${base}\nRUN echo "built by alice" > /hello\nCMD ["sleep", "600"]\n`);
    const r = await alice.shell(
      'bash',
      `set -e
carina registry login
docker build -q -t ${address}/alice/app:1 .
docker push ${address}/alice/app:1`,
      {},
      170_000,
    );
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout + r.stderr).toMatch(/Logged in to /);
    const list = await alice.carina(['registry', 'ls', '--json']);
    expect(list.code, list.stderr).toBe(0);
    const repos = JSON.parse(list.stdout) as { repositories: Array<{ name: string; tags: Array<{ name: string; size_bytes: number }> }>; used_bytes: number };
    expect(repos.repositories.map((x) => [x.name, x.tags.map((t) => t.name)])).toEqual([['alice/app', ['1']]]);
    expect(repos.used_bytes).toBeGreaterThan(0);
  });

  it('a plain docker service create runs it on all 3 nodes; docker run works on the manager', async () => {
    const r = await alice.shell(
      'bash',
      `set -e
carina create reg --nodes 3 --wait >/dev/null
eval "$(carina env reg)"
docker service create -q --name app --replicas 3 --endpoint-mode dnsrr ${address}/alice/app:1 >/dev/null
docker service ps app --filter desired-state=running --format '{{.Node}} {{.CurrentState}}'
docker run --rm ${address}/alice/app:1 cat /hello`,
      {},
      175_000,
    );
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    const tasks = r.stdout.split('\n').filter((l) => /Running/.test(l));
    expect(tasks).toHaveLength(3);
    expect(new Set(tasks.map((l) => l.split(' ')[0])).size).toBe(3);
    expect(r.stdout).toContain('built by alice');
  });

  it('a control plane killed with -9, and then the registry itself, lose no pushed image', async () => {
    const pullFresh = () =>
      alice.shell('bash', `docker rmi -f ${address}/alice/app:1 >/dev/null 2>&1 || true; docker pull -q ${address}/alice/app:1`, {}, 60_000);
    await server.kill();
    await server.start();
    // /healthz answers as soon as the API listens; the leader brings the registry's front up just after.
    const { Agent } = await import('undici');
    const dispatcher = new Agent({ connect: { ca: (await registryInfo('alice')).ca_pem } });
    const deadline = Date.now() + 20_000;
    while ((await fetch(`https://${address}/v2/`, { dispatcher }).then((r) => r.status, () => 0)) !== 401) {
      expect(Date.now(), 'the registry answers again after the restart').toBeLessThan(deadline);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await dispatcher.close();
    const afterCrash = await pullFresh();
    expect(afterCrash.code, afterCrash.stderr).toBe(0);
    // The registry process outlived the control plane (adopted at restart); now it dies: the leader starts it again.
    const pid = Number(readFileSync(join(server.dataDir, 'registry.pid'), 'utf8').split('\n')[0]);
    process.kill(pid, 'SIGKILL');
    let restarted: Awaited<ReturnType<typeof pullFresh>> | undefined;
    for (let i = 0; i < 40 && restarted?.code !== 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      restarted = await pullFresh();
    }
    expect(restarted?.code, restarted?.stderr).toBe(0);
    expect(Number(readFileSync(join(server.dataDir, 'registry.pid'), 'utf8').split('\n')[0])).not.toBe(pid);
  });

  it('bob can neither pull nor list alice\'s repository, nor read the catalog', async () => {
    const pull = await bob.shell('bash', `carina registry login >/dev/null && docker pull ${address}/alice/app:1`, {}, 60_000);
    expect(pull.code).not.toBe(0);
    // The docker client prints the token server's reason.
    expect(pull.stderr).toMatch(/alice\/app is not in your namespace: you may push and pull bob\/… only/);
    // Straight at the token server and the registry: nothing of alice's is granted to bob, nor the catalog.
    const basic = Buffer.from(`bob:${apiKeys.bob}`).toString('base64');
    const ca = (await registryInfo('bob')).ca_pem;
    const { Agent } = await import('undici');
    const dispatcher = new Agent({ connect: { ca } });
    const tokenAnswer = (scope: string, auth = basic) =>
      fetch(`https://${address}/token?service=carina-registry&scope=${encodeURIComponent(scope)}`, { headers: { authorization: `Basic ${auth}` }, dispatcher });
    for (const scope of ['repository:alice/app:pull', 'repository:alice/app:push,pull', 'registry:catalog:*']) {
      const refused = await tokenAnswer(scope);
      expect(refused.status, scope).toBe(403);
      expect(((await refused.json()) as { errors: Array<{ code: string }> }).errors[0]?.code).toBe('DENIED');
    }
    // A token bob may have (his own namespace) opens nothing of alice's at the registry itself.
    const own = ((await (await tokenAnswer('repository:bob/app:pull')).json()) as { token: string }).token;
    const tags = await fetch(`https://${address}/v2/alice/app/tags/list`, { headers: { authorization: `Bearer ${own}` }, dispatcher });
    expect(tags.status).toBe(401);
    const catalog = await fetch(`https://${address}/v2/_catalog`, { headers: { authorization: `Bearer ${own}` }, dispatcher });
    expect(catalog.status).toBe(401);
    const wrongKey = await tokenAnswer('repository:alice/app:pull', Buffer.from('alice:carina_wrong').toString('base64'));
    expect(wrongKey.status).toBe(401);
    await dispatcher.close();
  });

  it('a push past the quota is refused with the quota named, and nothing of it is kept', async () => {
    await server.admin('accounts', 'set-quota', 'bob', '--registry-gib', '0.004'); // ≈ 4 MiB
    await writeFile(join(bob.dir, 'Dockerfile'), `FROM ${base}\nRUN head -c 6000000 /dev/urandom > /blob\n`);
    const r = await bob.shell('bash', `docker build -q -t ${address}/bob/big:1 . >/dev/null && docker push ${address}/bob/big:1`, {}, 120_000);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/quota exceeded: bob may store 4\.1 MiB/);
    const info = await registryInfo('bob');
    expect(info.used_bytes).toBeLessThanOrEqual(info.quota_bytes);
    const q = await bob.carina(['registry', 'quota', '--json']);
    expect(JSON.parse(q.stdout)).toMatchObject({ quota_bytes: info.quota_bytes });
  });

  it('deleting the tag and collecting garbage gives the storage back', async () => {
    const before = (await registryInfo('alice')).used_bytes;
    const rm = await alice.carina(['registry', 'rm', 'app:1']);
    expect(rm.code, rm.stderr).toBe(0);
    const gc = await server.admin('registry', 'gc');
    expect(gc).toMatch(/garbage collection done: freed [\d.]+ [MK]iB/);
    const after = (await registryInfo('alice')).used_bytes;
    expect(after).toBeLessThan(before);
    const list = await alice.carina(['registry', 'ls', '--json']);
    expect((JSON.parse(list.stdout) as { repositories: Array<{ tags: unknown[] }> }).repositories.flatMap((x) => x.tags)).toEqual([]);
  });
});
