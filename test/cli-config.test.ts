import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliSandbox, closedPort, disposeServer, rowOf, silentServer } from './support/cli.js';
import { TestServer } from './support/server.js';

// Configuration precedence, profiles, --json shapes and every error path against a real server.
const CLUSTER_KEYS = ['autoscale', 'created_at', 'endpoint', 'flavor', 'id', 'name', 'nodes', 'nodes_ready', 'status', 'status_reason', 'updated_at'];

describe('carina CLI: configuration, JSON output and errors', () => {
  const server = new TestServer('clicfg');
  let cli: CliSandbox;
  let alice = '';
  let bob = '';
  let carol = '';
  const ls = async (args: string[], env: Record<string, string | undefined> = {}) => {
    const r = await cli.carina([...args, 'ls', '--json'], env);
    expect(r.code, r.stderr).toBe(0);
    return (JSON.parse(r.stdout).clusters as { name: string }[]).map((c) => c.name);
  };

  beforeAll(async () => {
    await server.start();
    [alice, bob, carol] = await Promise.all([server.createAccount('alice'), server.createAccount('bob'), server.createAccount('carol', '--clusters', '1')]);
    cli = new CliSandbox('cfg', { CARINA_ENDPOINT: server.url });
    const r1 = await cli.carina(['create', 'alpha', '--apikey', alice]);
    const r2 = await cli.carina(['create', 'bravo', '--apikey', bob]);
    expect([r1.code, r2.code], r1.stderr + r2.stderr).toEqual([0, 0]);
  });
  afterAll(async () => {
    await disposeServer(server);
    await cli?.cleanup();
  });

  describe('credentials and precedence', () => {
    beforeAll(() => {
      mkdirSync(cli.carinaHome, { recursive: true });
      writeFileSync(
        join(cli.carinaHome, 'config.toml'),
        `[default]\nusername = "alice"\napikey = "${alice}"\n\n[bob]\nusername = "bob"\napikey-var = "BOB_KEY"\n\n[broken]\nendpoint = "http://127.0.0.1:9"\n`,
      );
    });

    it('uses the default profile when no credentials are given', async () => {
      expect(await ls([])).toEqual(['alpha']);
    });

    it('lets CARINA_APIKEY beat the default profile', async () => {
      expect(await ls([], { CARINA_APIKEY: bob })).toEqual(['bravo']);
    });

    it('lets --profile beat the environment, reading -var keys from it', async () => {
      expect(await ls(['--profile', 'bob'], { BOB_KEY: bob, CARINA_APIKEY: alice })).toEqual(['bravo']);
      expect(await ls([], { CARINA_PROFILE: 'bob', BOB_KEY: bob })).toEqual(['bravo']);
    });

    it('lets flags beat everything (--apikey and its alias --api-key)', async () => {
      expect(await ls(['--profile', 'bob', '--username', 'alice', '--apikey', alice], { BOB_KEY: bob })).toEqual(['alpha']);
      expect(await ls(['--api-key', bob], { CARINA_APIKEY: alice })).toEqual(['bravo']);
    });

    it('names the missing variable of a profile and the missing profile (exit 2)', async () => {
      const r = await cli.carina(['--profile', 'bob', 'ls']);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(`carina: profile "bob" reads apikey from $BOB_KEY, which is not set: export it or edit ${join(cli.carinaHome, 'config.toml')} (CARINA_ERR_CONFIG)\n`);
      const r2 = await cli.carina(['ls'], { CARINA_PROFILE: 'nope' });
      expect(r2.code).toBe(2);
      expect(r2.stderr).toMatch(/^carina: no profile "nope" in .*config\.toml \(it has \[default\], \[bob\], \[broken\]\)/);
    });

    it('finds config.toml under XDG_DATA_HOME/carina when CARINA_HOME is unset', async () => {
      const xdg = join(cli.dir, 'xdg');
      mkdirSync(join(xdg, 'carina'), { recursive: true });
      writeFileSync(join(xdg, 'carina', 'config.toml'), `[default]\napikey = "${bob}"\n`);
      expect(await ls([], { XDG_DATA_HOME: xdg })).toEqual(['bravo']);
    });
  });

  describe('error paths: one stderr line, distinct exit codes', () => {
    it('no credentials at all: says what to set (exit 3)', async () => {
      const r = await cli.carina(['ls'], { HOME: join(cli.dir, 'empty-home') });
      expect(r.code).toBe(3);
      expect(r.stdout).toBe('');
      expect(r.stderr.split('\n')).toHaveLength(2);
      expect(r.stderr).toMatch(/^carina: no credentials: pass --apikey \(or set CARINA_APIKEY\) and optionally --username \(CARINA_USERNAME\), or add a \[default\] profile .* \(CARINA_ERR_NO_CREDENTIALS\)\n$/);
    });

    it('wrong key, or a username that does not own the key (exit 3)', async () => {
      const wrong = `${alice.slice(0, -4)}AAAA`;
      const r = await cli.carina(['ls', '--apikey', wrong]);
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(/^carina: http:\/\/127\.0\.0\.1:\d+ rejected the credentials \(invalid API key; API key from flags\): check --apikey.* \(CARINA_ERR_UNAUTHORIZED\)\n$/);
      const r2 = await cli.carina(['ls', '--apikey', alice, '--username', 'bob']);
      expect(r2.code).toBe(3);
      expect(r2.stderr).toMatch(/invalid username or API key; API key from flags, username "bob" from flags/);
    });

    it('unknown cluster (exit 4)', async () => {
      const r = await cli.carina(['get', 'nope', '--apikey', alice]);
      expect([r.code, r.stderr]).toEqual([4, 'carina: no cluster named "nope": list yours with "carina ls" (CARINA_ERR_CLUSTER_NOT_FOUND)\n']);
      expect((await cli.carina(['rm', 'nope', '--apikey', alice])).code).toBe(4);
      expect((await cli.carina(['env', 'nope', '--apikey', alice])).code).toBe(4);
    });

    it('quota exceeded and name taken (exit 5)', async () => {
      const first = await cli.carina(['create', 'charlie', '--apikey', carol]);
      expect(first.code, first.stderr).toBe(0);
      const r = await cli.carina(['create', 'delta', '--apikey', carol]);
      expect(r.code).toBe(5);
      expect(r.stderr).toMatch(/^carina: quota of 1 clusters? reached .* \(CARINA_ERR_QUOTA_EXCEEDED\)\n$/);
      const nodes = await cli.carina(['create', 'echo', '--nodes', '9', '--apikey', alice]);
      expect([nodes.code, nodes.stderr]).toEqual([5, expect.stringMatching(/at most 5 nodes per cluster.*\(CARINA_ERR_QUOTA_EXCEEDED\)/)]);
      const taken = await cli.carina(['create', 'alpha', '--apikey', alice]);
      expect([taken.code, taken.stderr]).toEqual([5, 'carina: cluster "alpha" already exists (CARINA_ERR_CLUSTER_EXISTS)\n']);
    });

    it('server down: fails fast naming the endpoint and where it came from (exit 6)', async () => {
      const port = await closedPort();
      const r = await cli.carina(['ls', '--apikey', alice], { CARINA_ENDPOINT: `http://127.0.0.1:${port}` });
      expect(r.code).toBe(6);
      expect(r.stderr).toBe(
        `carina: cannot reach the Carina API at http://127.0.0.1:${port} (endpoint from environment): connection refused; check --endpoint / CARINA_ENDPOINT and that the server is running (CARINA_ERR_NETWORK)\n`,
      );
    });

    it('a server that never answers: env gives up after the request timeout instead of hanging (exit 6)', async () => {
      const hung = await silentServer();
      try {
        const r = await cli.carina(['env', 'alpha', '--apikey', alice], { CARINA_ENDPOINT: `http://127.0.0.1:${hung.port}`, CARINA_HTTP_TIMEOUT: '1s' }, 20_000);
        expect(r.code).toBe(6);
        expect(r.stdout).toBe('');
        expect(r.stderr).toMatch(/^carina: no answer from the Carina API at .* within 1(\.0)?s to GET \/v1\/clusters\/alpha\/credentials/);
        expect(r.ms).toBeLessThan(8000);
      } finally {
        await hung.close();
      }
    });

    it('--wait --timeout exits 7 naming the status reached', async () => {
      const r = await cli.carina(['create', 'foxtrot', '--nodes', '2', '--wait', '--timeout', '1ms', '--apikey', alice]);
      expect(r.code).toBe(7);
      expect(r.stderr).toMatch(/carina: gave up waiting for foxtrot after \d+ms \(status "(new|building)", [0-2]\/2 nodes Ready\).*--timeout \(CARINA_ERR_TIMEOUT\)\n$/);
      const gone = await cli.carina(['rm', 'foxtrot', '--wait', '--apikey', alice]);
      expect(gone.code, gone.stderr).toBe(0);
    });

    it('resize: works, or says clearly that this server lacks it (exit 6)', async () => {
      const r = await cli.carina(['resize', 'alpha', '--nodes', '2', '--apikey', alice]);
      if (r.code === 0) expect(rowOf(r.stdout, 'alpha')).toMatch(/^alpha {2}container1-4G {2}2 /);
      else expect([r.code, r.stderr]).toEqual([6, expect.stringMatching(/does not support resize yet.*\(CARINA_ERR_UNSUPPORTED\)\n$/)]);
    });

    it('usage errors exit 2 before any request', async () => {
      const r = await cli.carina(['grow', 'alpha', '--apikey', alice]);
      expect([r.code, r.stderr]).toEqual([2, 'carina: grow needs --by N, the number of nodes to add (CARINA_ERR_USAGE)\n']);
      expect((await cli.carina(['create', 'x', '--flavor', 'huge', '--apikey', alice])).code).toBe(2);
    });

    it('--debug shows the HTTP exchange with the key redacted', async () => {
      const r = await cli.carina(['--debug', 'ls', '--username', 'alice', '--apikey', alice]);
      expect(r.code).toBe(0);
      expect(r.stderr).toContain(`debug: > GET ${server.url}/v1/clusters`);
      expect(r.stderr).toContain('debug: > authorization: Basic [redacted]');
      expect(r.stderr).toMatch(/debug: < 200 OK/);
      expect(r.stderr).not.toContain(alice);
      expect(r.stderr).not.toContain(Buffer.from(`alice:${alice}`).toString('base64'));
    });
  });

  describe('--json shapes', () => {
    const json = async (args: string[]) => {
      const r = await cli.carina([...args, '--json', '--apikey', alice]);
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout);
    };

    it('clusters: ls, get (with node_details), grow, autoscale, create, rm', async () => {
      const list = await json(['ls']);
      expect(Object.keys(list)).toEqual(['clusters']);
      expect(Object.keys(list.clusters[0]).sort()).toEqual(CLUSTER_KEYS);
      const got = await json(['get', 'alpha', '--wait']);
      expect(Object.keys(got).sort()).toEqual([...CLUSTER_KEYS, 'node_details'].sort());
      expect(got).toMatchObject({ name: 'alpha', status: 'active', nodes_ready: got.nodes });
      expect(Object.keys(got.node_details[0]).sort()).toEqual(['address', 'index', 'role', 'status']);
      expect(await json(['autoscale', 'alpha', 'on'])).toMatchObject({ name: 'alpha', autoscale: true });
      const created = await json(['create', 'golf']);
      expect(Object.keys(created).sort()).toEqual(CLUSTER_KEYS);
      expect(await json(['rm', 'golf', '--wait'])).toMatchObject({ name: 'golf', status: 'deleted' });
    });

    it('quotas, flavors, events, version, credentials, env', async () => {
      expect(await json(['quotas'])).toEqual({ max_clusters: 3, max_nodes_per_cluster: 5, clusters: 1 });
      expect((await json(['flavors'])).flavors[0]).toEqual({ name: 'container1-4G', memory_bytes: 4 * 1024 ** 3, memory: '4 GiB', vcpus: 2, disk_gb: 20 });
      const events = (await json(['events', 'alpha'])).events;
      expect(Object.keys(events[0]).sort()).toEqual(['id', 'message', 'time', 'type']);
      expect(await json(['version'])).toEqual({ version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
      const creds = await json(['credentials', 'alpha']);
      expect(creds).toMatchObject({ cluster: 'alpha', path: expect.stringContaining('/clusters/'), serial: expect.stringMatching(/^[0-9a-f]+$/) });
      expect(creds.files).toEqual(['README.md', 'ca.pem', 'cert.pem', 'docker.cmd', 'docker.env', 'docker.fish', 'docker.ps1', 'key.pem']);
      const env = await json(['env', 'alpha', '--shell', 'fish']);
      expect(env).toEqual({
        cluster: 'alpha',
        path: creds.path,
        shell: 'fish',
        file: `${creds.path}/docker.fish`,
        script: expect.stringMatching(/^source '.*docker\.fish'\n# /),
        docker_host: expect.stringMatching(/^tcp:\/\/127\.0\.0\.1:\d+$/),
        serial: creds.serial,
        downloaded: false,
        registry: null, // this test's server runs no registry (test/registry.test.ts has one)
      });
    });

    it('errors too: a JSON document on stdout besides the stderr line', async () => {
      const r = await cli.carina(['get', 'nope', '--json', '--apikey', alice]);
      expect(r.code).toBe(4);
      expect(JSON.parse(r.stdout)).toEqual({ error: { code: 'CARINA_ERR_CLUSTER_NOT_FOUND', message: 'no cluster named "nope": list yours with "carina ls"', exit_code: 4 } });
    });
  });
});
