import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from './support/api-client.js';
import { TestServer } from './support/server.js';

// Bad input gets a 4xx with a stable code and a message, never a stack trace, and the server keeps serving.
describe('bad input', () => {
  const server = new TestServer('bad');
  let api: ApiClient;
  let anonymous: ApiClient;

  beforeAll(async () => {
    await server.start();
    api = new ApiClient(server.url, await server.createAccount('mallory', '--clusters', '2', '--nodes', '3'));
    anonymous = new ApiClient(server.url, undefined);
  });
  afterAll(() => server.cleanup());

  const cases: Array<{ title: string; method?: string; path?: string; body?: unknown; raw?: string; headers?: Record<string, string>; status: number; code: string; message?: RegExp }> = [
    { title: 'malformed JSON', raw: '{"name": "a",', headers: { 'content-type': 'application/json' }, status: 400, code: 'CARINA_ERR_BAD_REQUEST' },
    { title: 'a JSON array', raw: '[1,2]', headers: { 'content-type': 'application/json' }, status: 400, code: 'CARINA_ERR_VALIDATION' },
    { title: 'nodes as a string', body: { name: 'ok', nodes: '2' }, status: 400, code: 'CARINA_ERR_VALIDATION', message: /nodes/ },
    { title: 'nodes zero', body: { name: 'ok', nodes: 0 }, status: 400, code: 'CARINA_ERR_VALIDATION' },
    { title: 'nodes fractional', body: { name: 'ok', nodes: 1.5 }, status: 400, code: 'CARINA_ERR_VALIDATION' },
    { title: 'autoscale as a string', body: { name: 'ok', autoscale: 'yes' }, status: 400, code: 'CARINA_ERR_VALIDATION' },
    { title: 'an unknown field', body: { name: 'ok', colour: 'blue' }, status: 400, code: 'CARINA_ERR_VALIDATION', message: /colour|additional/ },
    { title: 'a missing name', body: { nodes: 1 }, status: 400, code: 'CARINA_ERR_VALIDATION', message: /name/ },
    { title: 'a name starting with a digit', body: { name: '1abc' }, status: 400, code: 'CARINA_ERR_VALIDATION', message: /start with a letter/ },
    { title: 'a name with a slash', body: { name: 'a/b' }, status: 400, code: 'CARINA_ERR_VALIDATION' },
    { title: 'a 64-character name', body: { name: 'a'.repeat(64) }, status: 400, code: 'CARINA_ERR_VALIDATION' },
    { title: 'an unknown flavor', body: { name: 'ok', flavor: 'huge' }, status: 400, code: 'CARINA_ERR_FLAVOR_NOT_FOUND' },
    { title: 'more nodes than the quota', body: { name: 'ok', nodes: 4 }, status: 403, code: 'CARINA_ERR_QUOTA_EXCEEDED', message: /at most 3 nodes/ },
    { title: 'a huge body', raw: JSON.stringify({ name: 'ok', pad: 'x'.repeat(200_000) }), headers: { 'content-type': 'application/json' }, status: 413, code: 'CARINA_ERR_PAYLOAD_TOO_LARGE' },
    { title: 'a non-JSON content type', raw: 'name=ok', headers: { 'content-type': 'application/x-www-form-urlencoded' }, status: 415, code: 'CARINA_ERR_UNSUPPORTED_MEDIA_TYPE' },
    { title: 'grow by a negative number', path: '/v1/clusters/nope/grow', body: { by: -1 }, status: 400, code: 'CARINA_ERR_VALIDATION' },
    { title: 'an unknown cluster', method: 'GET', path: '/v1/clusters/nope', status: 404, code: 'CARINA_ERR_CLUSTER_NOT_FOUND' },
    { title: 'an unknown endpoint', method: 'GET', path: '/v1/nothing-here', status: 404, code: 'CARINA_ERR_NOT_FOUND' },
    { title: 'a bad query parameter', method: 'GET', path: '/v1/clusters/nope/events?after=abc', status: 400, code: 'CARINA_ERR_VALIDATION' },
    { title: 'a page size of zero', method: 'GET', path: '/v1/clusters?limit=0', status: 400, code: 'CARINA_ERR_VALIDATION', message: /limit/ },
    { title: 'a page size past the maximum', method: 'GET', path: '/v1/clusters?limit=501', status: 400, code: 'CARINA_ERR_VALIDATION', message: /limit/ },
    { title: 'a page size that is not a number', method: 'GET', path: '/v1/clusters?limit=ten', status: 400, code: 'CARINA_ERR_VALIDATION' },
    { title: 'an unknown list parameter', method: 'GET', path: '/v1/clusters?sort=age', status: 400, code: 'CARINA_ERR_VALIDATION' },
  ];

  for (const c of cases) {
    it(`answers ${c.status} ${c.code} to ${c.title}`, async () => {
      const res = await api.request(c.method ?? 'POST', c.path ?? '/v1/clusters', c.body, { raw: c.raw, headers: c.headers });
      expect(res.status).toBe(c.status);
      expect(res.body.error.code).toBe(c.code);
      expect(typeof res.body.error.message).toBe('string');
      expect(res.body.error.message).not.toMatch(/at .*\.js:\d+/); // no stack traces
      if (c.message) expect(res.body.error.message).toMatch(c.message);
    });
  }

  it('requires authentication, with a hint', async () => {
    for (const [method, path] of [['GET', '/v1/clusters'], ['POST', '/v1/clusters'], ['GET', '/v1/quotas']] as const) {
      const res = await anonymous.request(method, path, method === 'POST' ? { name: 'x' } : undefined);
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('CARINA_ERR_UNAUTHORIZED');
      expect(res.body.error.message).toContain('Authorization: Bearer');
    }
    const wrong = new ApiClient(server.url, 'carina_0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
    expect((await wrong.request('GET', '/v1/clusters')).status).toBe(401);
    const basic = await anonymous.request('GET', '/v1/clusters', undefined, { headers: { authorization: `Basic ${Buffer.from(`eve:${api.key}`).toString('base64')}` } });
    expect(basic.status).toBe(401); // right key, wrong username
  });

  it('slows key guessing: after 10 wrong keys for one account in a minute, 429 with Retry-After, others unaffected', async () => {
    const victimKey = await server.createAccount('victim');
    const victimId = victimKey.split('_')[1];
    // Well-formed keys (each one is checked with scrypt), Bearer and Basic in turn: both count
    // against the one account the guessed key names.
    const guessed = (i: number) => `carina_${victimId}_${`guess${i}`.padEnd(32, 'x')}`;
    const guess = (i: number) =>
      i % 2 === 0
        ? new ApiClient(server.url, guessed(i)).request('GET', '/v1/clusters')
        : anonymous.request('GET', '/v1/clusters', undefined, { headers: { authorization: `Basic ${Buffer.from(`victim:${guessed(i)}`).toString('base64')}` } });
    for (let i = 0; i < 10; i++) expect((await guess(i)).status).toBe(401);
    const refused = await guess(10);
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe('CARINA_ERR_RATE_LIMITED');
    expect(refused.body.error.message).toMatch(/try again in \d+ s/);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await api.request('GET', '/v1/quotas')).status).toBe(200); // another account from the same address
  });

  it('keeps serving after all of that', async () => {
    expect((await api.request('GET', '/v1/clusters')).body).toEqual({ clusters: [], next: null });
    expect((await api.request('GET', '/v1/quotas')).body).toEqual({ max_clusters: 2, max_nodes_per_cluster: 3, clusters: 0 });
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    const openapi = (await (await fetch(`${server.url}/v1/openapi.json`)).json()) as { openapi: string; paths: Record<string, unknown> };
    expect(openapi.openapi).toMatch(/^3\./);
    expect(Object.keys(openapi.paths)).toEqual(expect.arrayContaining(['/v1/clusters', '/v1/clusters/{name}', '/v1/clusters/{name}/credentials']));
  });

  it('enforces the cluster quota atomically under concurrent creates', async () => {
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => api.request('POST', '/v1/clusters', { name: `q${i}`, nodes: 1 })));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 202)).toHaveLength(2);
    expect(statuses.filter((s) => s === 403)).toHaveLength(6);
    for (const r of results.filter((x) => x.status === 403)) expect(r.body.error.code).toBe('CARINA_ERR_QUOTA_EXCEEDED');
    const list = (await api.request('GET', '/v1/clusters')).body.clusters as { name: string }[];
    expect(list).toHaveLength(2);
    // …and the list pages: one cluster a page, the first page's `next` leads to the second, which is the last.
    const names = list.map((c) => c.name).sort();
    const first = (await api.request('GET', '/v1/clusters?limit=1')).body;
    expect(first.clusters.map((c: { name: string }) => c.name)).toEqual([names[0]]);
    expect(first.next).toBe(names[0]);
    const second = (await api.request('GET', `/v1/clusters?limit=1&after=${first.next}`)).body;
    expect(second).toMatchObject({ clusters: [{ name: names[1] }], next: null });
    for (const c of list) expect((await api.request('DELETE', `/v1/clusters/${c.name}`)).status).toBe(202);
    for (const c of list) await api.waitGone(c.name);
  });
});
