import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { apiError, FakeApi, runCarina } from './test-support/fake-api.js';
import { FakeDocker } from './test-support/fake-docker.js';
import { TEST_CA_PEM } from './test-support/test-ca.js';

const ADDRESS = '127.0.0.1:5000';
const KEY = 'carina_0123456789abcdef_secret';
const info = { address: ADDRESS, namespace: 'alice', quota_bytes: 1024 ** 3, used_bytes: 300 * 1024 ** 2, ca_pem: TEST_CA_PEM };
const digest = `sha256:${'ab'.repeat(32)}`;
const list = {
  repositories: [{ name: 'alice/app', tags: [{ name: '1', digest, size_bytes: 5 * 1024 ** 2 }], size_bytes: 5 * 1024 ** 2 }],
  used_bytes: 5 * 1024 ** 2,
  quota_bytes: 1024 ** 3,
};

describe('carina registry', () => {
  const api = new FakeApi();
  let docker: FakeDocker;
  let dir = '';
  let env: Record<string, string> = {};
  const certs = () => join(dir, 'certs.d');
  const carina = (...argv: string[]) => runCarina(argv, env);

  beforeAll(async () => {
    await api.start();
    docker = await FakeDocker.create();
  });
  afterAll(async () => {
    await api.stop();
    await docker.cleanup();
  });
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'carina-registry-cli-'));
    env = { CARINA_ENDPOINT: api.url, CARINA_APIKEY: KEY, CARINA_HOME: join(dir, 'home'), HOME: dir, PATH: `${docker.dir}:/usr/bin:/bin` };
    api.routes.clear();
    api.seen.length = 0;
    api.routes.set('GET /v1/registry', { status: 200, json: info });
    api.routes.set('GET /v1/registry/repositories', { status: 200, json: list });
    await docker.behave(0, '');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe('login', () => {
    it("writes the CA where the daemon reads it, then logs docker in with the key on stdin", async () => {
      const r = await carina('registry', 'login', '--certs-dir', certs(), '--docker-config', join(dir, 'dc'));
      expect(r.code, r.line).toBe(0);
      const file = join(certs(), ADDRESS, 'ca.crt');
      expect(await readFile(file, 'utf8')).toBe(TEST_CA_PEM);
      expect((await stat(file)).mode & 0o777).toBe(0o644);
      expect((await stat(join(certs(), ADDRESS))).mode & 0o777).toBe(0o755);
      expect(await readFile(join(dir, 'home', 'registry', ADDRESS, 'ca.crt'), 'utf8')).toBe(TEST_CA_PEM);
      expect(await docker.received()).toEqual({ args: ['login', ADDRESS, '--username', 'alice', '--password-stdin'], stdin: KEY, dockerConfig: join(dir, 'dc') });
      expect(r.out).toBe(
        `Wrote the registry's CA to ${file}: the docker daemon trusts it from its next pull or push.\n` +
          `Logged in to ${ADDRESS} as alice. Push with: docker tag IMAGE ${ADDRESS}/alice/NAME:TAG && docker push ${ADDRESS}/alice/NAME:TAG\n`,
      );
      expect(api.seen.map((s) => `${s.method} ${s.url} ${s.authorization}`)).toEqual([`GET /v1/registry Bearer ${KEY}`]);

      const again = await carina('registry', 'login', '--certs-dir', certs());
      expect(again.out).toMatch(/^The docker daemon already trusts the registry's CA/);
    });

    it("replaces another CA and passes docker's warning on as one line", async () => {
      await docker.behave(0, 'WARNING! Your password will be stored unencrypted in /x/config.json.\n');
      await mkdir(join(certs(), ADDRESS), { recursive: true });
      await writeFile(join(certs(), ADDRESS, 'ca.crt'), 'an older CA\n');
      const r = await carina('registry', 'login', '--certs-dir', certs());
      expect(r.out).toMatch(/^Replaced the registry's CA/);
      expect(r.err).toBe('carina: warning: docker: Your password will be stored unencrypted in /x/config.json.\n');
    });

    it('prints the root commands when it cannot write certs.d, and still logs in', async () => {
      await writeFile(join(dir, 'a-file'), '');
      const blocked = join(dir, 'a-file', 'certs.d');
      const saved = join(dir, 'home', 'registry', ADDRESS, 'ca.crt');
      const r = await carina('registry', 'login', '--certs-dir', blocked);
      expect(r.code, r.line).toBe(0);
      expect(r.out).toContain(`The docker daemon must trust the registry's CA. It is saved in ${saved}; put it in place as root:\n`);
      expect(r.out).toContain(`  sudo install -d -m 0755 ${blocked}/${ADDRESS}\n  sudo install -m 0644 ${saved} ${blocked}/${ADDRESS}/ca.crt\n`);
      expect(r.out).toMatch(/Logged in to 127.0.0.1:5000 as alice/);
    });

    it("fails in one line with docker's reason and what to do (exit 1)", async () => {
      await docker.behave(1, 'Error response from daemon: Get "https://127.0.0.1:5000/v2/": tls: failed to verify certificate: x509: certificate signed by unknown authority\n');
      const r = await carina('registry', 'login', '--certs-dir', join(dir, 'a-file-missing', 'x'));
      expect(r.code).toBe(1);
      expect(r.line).toBe(
        `carina: docker login ${ADDRESS} failed: Error response from daemon: Get "https://127.0.0.1:5000/v2/": tls: failed to verify certificate: x509: certificate signed by unknown authority: ` +
          `the docker daemon does not trust the registry's CA (a daemon on another machine, DOCKER_HOST, reads its own certs.d) (CARINA_ERR_LOCAL)`,
      );
      const missing = await runCarina(['registry', 'login', '--certs-dir', certs()], { ...env, PATH: '/nonexistent' });
      expect(missing.line).toMatch(/^carina: no docker client found on PATH/);
    });

    it('--no-docker only prints what to do, the key never in it', async () => {
      const r = await carina('registry', 'login', '--no-docker', '--certs-dir', certs());
      expect(r.code, r.line).toBe(0);
      expect(await docker.received()).toBeUndefined();
      await expect(stat(certs())).rejects.toThrow();
      expect(r.out).toContain('sudo install -d -m 0755');
      expect(r.out).toContain(`  printf '%s' "$CARINA_APIKEY" | docker login ${ADDRESS} --username alice --password-stdin\n`);
      expect(r.out).not.toContain(KEY);
    });

    it('--json prints one document (what it did, with the API answer) and instructions on stderr', async () => {
      const r = await carina('registry', 'login', '--no-docker', '--json', '--certs-dir', certs());
      const doc = JSON.parse(r.out) as Record<string, unknown>;
      expect(doc).toMatchObject({ registry: info, username: 'alice', trust: 'manual', docker_login: 'skipped', certs_file: join(certs(), ADDRESS, 'ca.crt') });
      expect(doc.commands).toHaveLength(2);
      expect(r.err).toContain('docker login 127.0.0.1:5000');
      const done = await carina('registry', 'login', '--json', '--certs-dir', certs());
      expect(JSON.parse(done.out)).toMatchObject({ trust: 'written', docker_login: 'ok', commands: [] });
    });

    it('refuses an address or CA from the server that it cannot trust (exit 6), writing nothing', async () => {
      api.routes.set('GET /v1/registry', { status: 200, json: { ...info, address: '../../etc:5000' } });
      const bad = await carina('registry', 'login', '--certs-dir', certs());
      expect([bad.code, bad.line]).toEqual([6, `carina: ${api.url} gave a registry address that is not HOST:PORT ("../../etc:5000") (CARINA_ERR_BAD_RESPONSE)`]);
      api.routes.set('GET /v1/registry', { status: 200, json: { ...info, ca_pem: 'nope' } });
      expect((await carina('registry', 'login', '--certs-dir', certs())).line).toMatch(/gave a registry CA that is not a PEM certificate/);
      await expect(stat(certs())).rejects.toThrow();
      expect(await docker.received()).toBeUndefined();
    });
  });

  it('every command says when the server runs no registry (exit 6), or predates registries', async () => {
    api.routes.set('GET /v1/registry', apiError(503, 'CARINA_ERR_REGISTRY_UNAVAILABLE', 'this server runs no registry'));
    api.routes.set('GET /v1/registry/repositories', apiError(503, 'CARINA_ERR_REGISTRY_UNAVAILABLE', 'this server runs no registry'));
    for (const argv of [['login'], ['ls'], ['rm', 'app:1'], ['quota']]) {
      const r = await carina('registry', ...argv, '--json');
      expect([r.code, r.line], argv.join(' ')).toEqual([6, 'carina: this server runs no registry (CARINA_ERR_REGISTRY_UNAVAILABLE)']);
      expect(JSON.parse(r.out)).toEqual({ error: { code: 'CARINA_ERR_REGISTRY_UNAVAILABLE', message: 'this server runs no registry', exit_code: 6 } });
    }
    api.routes.delete('GET /v1/registry');
    const old = await carina('registry', 'quota');
    expect([old.code, old.line]).toEqual([6, `carina: this server (${api.url}) has no registry API: it is older than the registry feature (CARINA_ERR_UNSUPPORTED)`]);
  });

  it('ls: one row per tag and the usage line; --json is the API answer', async () => {
    const r = await carina('registry', 'ls');
    expect(r.out).toBe('REPOSITORY  TAG  DIGEST               SIZE\nalice/app   1    sha256:abababababab  5.0 MiB\nused 5.0 MiB of 1.0 GiB (<1%)\n');
    expect(JSON.parse((await carina('registry', 'ls', '--json')).out)).toEqual(list);
  });

  it('quota: USED QUOTA PERCENT; --json is the API answer', async () => {
    expect((await carina('registry', 'quota')).out).toBe('USED     QUOTA    PERCENT\n300 MiB  1.0 GiB  29%\n');
    expect(JSON.parse((await carina('registry', 'quota', '--json')).out)).toEqual(info);
  });

  describe('rm', () => {
    it.each(['app:1', 'alice/app:1', `${ADDRESS}/alice/app:1`])('%s deletes alice/app:1 (the repository URL-encoded)', async (ref) => {
      api.routes.set('DELETE /v1/registry/repositories/alice%2Fapp/tags/1', { status: 204 });
      const r = await carina('registry', 'rm', ref);
      expect(r.code, r.line).toBe(0);
      expect(r.out).toBe('Deleted alice/app:1: its storage is reclaimed at the next garbage collection unless another tag uses it.\n');
      expect(api.seen.map((s) => `${s.method} ${s.url}`)).toEqual(['GET /v1/registry', 'DELETE /v1/registry/repositories/alice%2Fapp/tags/1']);
      expect(JSON.parse((await carina('registry', 'rm', ref, '--json')).out)).toEqual({ repository: 'alice/app', tag: '1', deleted: true });
    });

    it('names the tag it did not find (exit 4) and sends nothing for a bad reference (exit 2)', async () => {
      api.routes.set('DELETE /v1/registry/repositories/alice%2Fapp/tags/9', apiError(404, 'CARINA_ERR_NOT_FOUND', 'no tag 9 in alice/app: list them with GET /v1/registry/repositories'));
      const r = await carina('registry', 'rm', 'app:9');
      expect([r.code, r.line]).toEqual([4, 'carina: no tag alice/app:9 in your registry: list yours with "carina registry ls" (CARINA_ERR_NOT_FOUND)']);
      const bad = await carina('registry', 'rm', 'other.example/alice/app:1');
      expect([bad.code, bad.line]).toEqual([2, `carina: "other.example/alice/app:1" is not a tag of your registry: other.example is not your registry (${ADDRESS}) (CARINA_ERR_USAGE)`]);
      const noTag = await carina('registry', 'rm', 'app');
      expect(noTag.code).toBe(2);
      expect(api.seen.filter((s) => s.method === 'DELETE')).toHaveLength(1);
      expect((await carina('registry', 'rm')).line).toBe(`carina: missing required argument 'reference'; see "carina registry --help" (CARINA_ERR_USAGE)`);
    });
  });
});
