import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliSandbox } from './support/cli.js';
import { TestServer } from './support/server.js';

const run = promisify(execFile);

// The API and the CLI over HTTPS (issue 18): carina-server on a non-loopback address serves HTTPS
// with its own CA; the CLI and curl trust that CA and nothing else; the CLI will not send a key to
// a plain-HTTP endpoint on a network.
describe('the front door over HTTPS (real server, real CLI, curl)', () => {
  const server = new TestServer('tls', { host: '0.0.0.0' });
  let cli: CliSandbox;
  let key = '';

  beforeAll(async () => {
    await server.start();
    key = await server.createAccount('erin');
    cli = new CliSandbox('tls', { CARINA_ENDPOINT: server.url, CARINA_APIKEY: key });
  });
  afterAll(async () => {
    await cli?.cleanup();
    await server.cleanup();
  });

  it('serves HTTPS with the CA it printed, which curl verifies', async () => {
    expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const log = readFileSync(server.logFile, 'utf8');
    expect(log).toContain(`clients trust ${server.caFile}`);
    const { stdout } = await run('curl', ['-sS', '--cacert', server.caFile, '-D', '-', `${server.url}/healthz`]);
    expect(stdout).toMatch(/^HTTP\/1\.1 200/);
    expect(stdout.toLowerCase()).toContain('strict-transport-security: max-age=31536000');
    const untrusted = await run('curl', ['-sS', `${server.url}/healthz`]).catch((e: { code: number; stderr: string }) => e);
    expect((untrusted as { code: number }).code).toBe(60); // curl: peer certificate cannot be authenticated
  });

  it('drives a cluster with the CLI over HTTPS, trusting the CA given with --cacert', async () => {
    const created = await cli.carina(['--cacert', server.caFile, 'create', 'tls1', '--wait'], {}, 240_000);
    expect(created.code, created.stderr).toBe(0);
    const listed = await cli.carina(['--json', 'ls'], { CARINA_CACERT: server.caFile });
    expect(JSON.parse(listed.stdout).clusters.map((c: { name: string; status: string }) => [c.name, c.status])).toEqual([['tls1', 'active']]);
    // The credentials bundle comes over HTTPS too.
    const env = await cli.carina(['--cacert', server.caFile, '--json', 'env', 'tls1']);
    expect(env.code, env.stderr).toBe(0);
    expect(JSON.parse(env.stdout).docker_host).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
    expect((await cli.carina(['--cacert', server.caFile, 'rm', 'tls1', '--wait'])).code).toBe(0);
  });

  it('says in one line what to do when it does not trust the certificate', async () => {
    const r = await cli.carina(['ls']);
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/does not trust: pass that CA with --cacert|--cacert/);
  });

  it('refuses to send the key to a plain-HTTP endpoint on a network unless told to', async () => {
    const r = await cli.carina(['ls'], { CARINA_ENDPOINT: 'http://192.0.2.10:8080' });
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim()).toMatch(/^carina: refusing to send your API key to http:\/\/192\.0\.2\.10:8080 in clear text: use its https:\/\/ address/);
    const forced = await cli.carina(['--insecure-http', 'ls'], { CARINA_ENDPOINT: 'http://192.0.2.10:8080', CARINA_HTTP_TIMEOUT: '1s' });
    expect(forced.stderr).not.toContain('refusing');
  });
});
