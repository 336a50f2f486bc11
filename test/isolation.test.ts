import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ApiClient } from './support/api-client.js';
import { dockerWithBundle, extractBundle } from './support/docker-cli.js';
import { TestServer } from './support/server.js';

const run = promisify(execFile);

// Tenants never see each other's clusters, and a cluster's endpoint accepts only its own client certificate.
describe('tenant isolation', () => {
  const server = new TestServer('iso');
  let alice: ApiClient;
  let bob: ApiClient;

  beforeAll(async () => {
    await server.start();
    alice = new ApiClient(server.url, await server.createAccount('alice'));
    bob = new ApiClient(server.url, await server.createAccount('bob'));
    expect((await alice.request('POST', '/v1/clusters', { name: 'x', nodes: 1 })).status).toBe(202);
    expect((await bob.request('POST', '/v1/clusters', { name: 'y', nodes: 1 })).status).toBe(202);
    await alice.waitFor('x', (c) => c.status === 'active');
    await bob.waitFor('y', (c) => c.status === 'active');
  });
  afterAll(() => server.cleanup());

  it("hides alice's cluster from bob: 404 for every operation, never 403", async () => {
    expect((await bob.request('GET', '/v1/clusters')).body.clusters.map((c: { name: string }) => c.name)).toEqual(['y']);
    const attempts: Array<[string, string, unknown?]> = [
      ['GET', '/v1/clusters/x'],
      ['POST', '/v1/clusters/x/grow', { by: 1 }],
      ['POST', '/v1/clusters/x/rebuild'],
      ['PUT', '/v1/clusters/x/autoscale', { enabled: true }],
      ['GET', '/v1/clusters/x/credentials'],
      ['GET', '/v1/clusters/x/events'],
      ['DELETE', '/v1/clusters/x'],
    ];
    for (const [method, path, body] of attempts) {
      const res = await bob.request(method, path, body);
      expect({ path, method, status: res.status, code: res.body.error?.code }).toEqual({
        path,
        method,
        status: 404,
        code: 'CARINA_ERR_CLUSTER_NOT_FOUND',
      });
    }
    expect((await alice.request('GET', '/v1/clusters/x')).body.status).toBe('active');
  });

  it('lets the same cluster name exist in two accounts', async () => {
    expect((await bob.request('POST', '/v1/clusters', { name: 'x', nodes: 1 })).status).toBe(202);
    await bob.waitFor('x', (c) => c.status === 'active');
    expect((await bob.request('DELETE', '/v1/clusters/x')).status).toBe(202);
    await bob.waitGone('x');
  });

  it("refuses cluster x's client certificate at cluster y's endpoint", async () => {
    const x = await extractBundle((await alice.request('GET', '/v1/clusters/x/credentials')).body as Buffer);
    const y = await extractBundle((await bob.request('GET', '/v1/clusters/y/credentials')).body as Buffer);
    expect((await dockerWithBundle(x.dir, ['info', '--format', '{{.Swarm.LocalNodeState}}'])).trim()).toBe('active');
    const yHost = /DOCKER_HOST='?(tcp:\/\/[^'\n]+)'?/.exec((await import('node:fs')).readFileSync(`${y.dir}/docker.env`, 'utf8'))?.[1];
    expect(yHost).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
    // x's CA and client certificate against y's endpoint: the TLS handshake fails.
    const attempt = run('docker', ['--tlsverify', `--tlscacert=${x.dir}/ca.pem`, `--tlscert=${x.dir}/cert.pem`, `--tlskey=${x.dir}/key.pem`, '-H', yHost!, 'info'], {
      timeout: 20_000,
    });
    await expect(attempt).rejects.toThrow(/certificate|tls|x509/i);
    // y's CA (so the server is trusted) but x's client certificate: y's engine refuses the client.
    const mixed = run('docker', ['--tlsverify', `--tlscacert=${y.dir}/ca.pem`, `--tlscert=${x.dir}/cert.pem`, `--tlskey=${x.dir}/key.pem`, '-H', yHost!, 'info'], {
      timeout: 20_000,
    });
    await expect(mixed).rejects.toThrow(/certificate|tls|x509|bad/i);
    // and without any client certificate.
    await expect(run('docker', ['--tls', `--tlscacert=${y.dir}/ca.pem`, '-H', yHost!, 'info'], { timeout: 20_000 })).rejects.toThrow();
  });
});
