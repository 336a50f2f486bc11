import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from './support/api-client.js';
import { dockerWithBundle, extractBundle } from './support/docker-cli.js';
import { TestServer } from './support/server.js';

// Issue 17's logs: a short real session (a wrong key and a right one, a 1-node cluster, its
// credentials bundle, a docker command through its gateway, the delete), then the server's whole
// log (stdout and stderr) is searched for the secrets that went by. Every line is JSON with its component, API and
// gateway lines carry request ids, reconciler lines the cluster and its account.
describe('structured logs without secrets (real server, real cluster)', () => {
  // At debug, so that every line the server can write is searched.
  const server = new TestServer('logs', { env: { CARINA_LOG_LEVEL: 'debug' } });
  let key = '';
  let keyHead = '';
  let keySecret = '';
  let api: ApiClient;
  let clusterId = '';
  let clientKey = '';
  const seenIds: { wrong?: string; chosen?: string } = {};

  beforeAll(async () => {
    await server.start();
    key = await server.createAccount('alice');
    api = new ApiClient(server.url, key);
    // The key's named part (`carina_<account id>_`) and its secret: base64url, which may hold '_' itself.
    const parts = /^(carina_[a-f0-9]+_)(.+)$/.exec(key);
    keyHead = parts?.[1] ?? '';
    keySecret = parts?.[2] ?? '';
    expect(keySecret).toHaveLength(32);
  });
  afterAll(() => server.cleanup());

  it('refuses a wrong key and serves the right one, each answer with its request id', async () => {
    // A wrong key of alice's own account (same id part), as Bearer and as HTTP Basic.
    const wrongKey = `${keyHead}${'W'.repeat(32)}`;
    const wrong = await new ApiClient(server.url, wrongKey).request('GET', '/v1/clusters');
    expect(wrong.status).toBe(401);
    seenIds.wrong = wrong.headers.get('x-request-id') ?? undefined;
    expect(seenIds.wrong).toMatch(/^[0-9a-f-]{36}$/);
    const basic = await fetch(`${server.url}/v1/quotas`, { headers: { authorization: `Basic ${Buffer.from(`alice:${wrongKey}`).toString('base64')}` } });
    expect(basic.status).toBe(401);
    const right = await api.request('GET', '/v1/quotas', undefined, { headers: { 'x-request-id': 'logs-e2e-1' } });
    expect(right.status).toBe(200);
    expect(right.headers.get('x-request-id')).toBe('logs-e2e-1');
    seenIds.chosen = 'logs-e2e-1';
    const basicRight = await fetch(`${server.url}/v1/quotas`, { headers: { authorization: `Basic ${Buffer.from(`alice:${key}`).toString('base64')}` } });
    expect(basicRight.status).toBe(200);
    // A key pasted where a cluster's name goes: the path is logged, the key in it is not.
    expect((await api.request('GET', `/v1/clusters/${key}`)).status).toBeGreaterThanOrEqual(400);
  });

  it('creates a 1-node cluster, hands out its credentials, drives it through the gateway and deletes it', async () => {
    const created = await api.request('POST', '/v1/clusters', { name: 'logged', nodes: 1 });
    expect(created.status).toBe(202);
    clusterId = created.body.id;
    await api.waitFor('logged', (c) => c.status === 'active', 240_000);
    const res = await api.request('GET', '/v1/clusters/logged/credentials');
    expect(res.status).toBe(200);
    const bundle = await extractBundle(res.body as Buffer);
    clientKey = readFileSync(join(bundle.dir, 'key.pem'), 'utf8');
    expect(clientKey).toContain('PRIVATE KEY');
    expect((await dockerWithBundle(bundle.dir, ['info', '--format', '{{.Swarm.LocalNodeState}}'])).trim()).toBe('active');
    expect((await api.request('DELETE', '/v1/clusters/logged')).status).toBe(202);
    await api.waitGone('logged');
  });

  it('logged JSON lines with request ids and cluster fields, and none of the secrets', () => {
    const text = readFileSync(server.logFile, 'utf8');
    // The API key, its secret part, the client's private key and every line of its body.
    const keyLines = clientKey.split('\n').filter((l) => l.length > 0 && !l.startsWith('-----'));
    expect(keyLines.length).toBeGreaterThan(0);
    for (const secret of [key, keySecret, Buffer.from(`alice:${key}`).toString('base64'), clientKey, ...keyLines, 'PRIVATE KEY']) {
      expect(text.includes(secret), `the log holds a secret (${secret.slice(0, 12)}…)`).toBe(false);
    }

    const raw = text.split('\n').filter((l) => l.trim() !== '');
    const notJson = raw.filter((l) => {
      try {
        return typeof JSON.parse(l) !== 'object';
      } catch {
        return true;
      }
    });
    expect(notJson, 'every line is one JSON object').toEqual([]);
    const lines = raw.map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const line of lines) {
      expect(typeof line.level === 'string' && typeof line.time === 'string' && typeof line.msg === 'string' && typeof line.component === 'string', JSON.stringify(line)).toBe(true);
    }

    // API: one line per answer, each with its id; the refused one and the one whose id the client chose.
    const answered = lines.filter((l) => l.component === 'api' && typeof l.status === 'number');
    expect(answered.length).toBeGreaterThan(5);
    expect(answered.filter((l) => typeof l.reqId !== 'string')).toEqual([]);
    expect(answered.find((l) => l.reqId === seenIds.wrong)).toMatchObject({ method: 'GET', path: '/v1/clusters', status: 401 });
    expect(answered.find((l) => l.reqId === seenIds.chosen)).toMatchObject({ method: 'GET', path: '/v1/quotas', status: 200 });
    expect(answered.find((l) => l.path === '/v1/clusters/logged/credentials')).toMatchObject({ status: 200 });
    // The account part stays; the secret goes.
    const pasted = `/v1/clusters/${keyHead}[REDACTED]`;
    expect(answered.find((l) => l.path === pasted), `a line with path ${pasted}`).toBeDefined();

    // Gateway: the docker client's requests, each with an id of its own and the cluster's.
    const proxied = lines.filter((l) => l.component === 'gateway' && typeof l.status === 'number');
    expect(proxied.length).toBeGreaterThan(0);
    for (const l of proxied) expect(l).toMatchObject({ clusterId, account: 'alice', reqId: expect.stringMatching(/^[0-9a-f-]{36}$/) as unknown });
    expect(new Set(proxied.map((l) => l.reqId)).size).toBe(proxied.length);

    // Reconciler: what it did to this cluster, by id and account.
    expect(lines.find((l) => l.component === 'reconciler' && l.msg === 'cluster alice/logged deleted')).toMatchObject({ clusterId, account: 'alice', level: 'info' });
  });
});
