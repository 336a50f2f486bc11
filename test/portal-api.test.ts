import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiKey, hashApiKey } from '../src/api/api-keys.js';
import { buildApi } from '../src/api/app.js';
import { defaultWebRoot } from '../src/api/portal/static-site.js';
import { loadConfig } from '../src/config/config.js';
import { ClusterService } from '../src/core/cluster-service.js';
import type { Store } from '../src/core/ports.js';
import { buildBundle } from '../src/pki/bundle.js';
import { X509Pki } from '../src/pki/x509-pki.js';
import { openStore } from '../src/store/open-store.js';
import { TestServer } from './support/server.js';

// The portal's HTTP contract, in process (no engine): sessions, cookie auth + CSRF on /v1/*, the
// app at `/` with its security headers. The browser test (portal.test.ts) drives the real thing.
describe('portal HTTP contract', () => {
  let store: Store;
  let app: FastifyInstance;
  let key = '';
  let accountId = '';

  beforeAll(async () => {
    store = await openStore({ url: 'sqlite::memory:' });
    accountId = 'a1b2c3d4e5f60718';
    key = generateApiKey(accountId);
    await store.accounts.create({ id: accountId, name: 'alice', keyHash: await hashApiKey(key), quotaClusters: 3, quotaNodes: 5 });
    const clusters = new ClusterService({
      store,
      pki: new X509Pki(),
      scheduler: { kick: () => undefined },
      newId: () => Math.random().toString(16).slice(2, 14).padEnd(12, '0'),
      portRange: { from: 40000, to: 40010 },
      dnsNames: () => ['x.carina.local'],
      ipAddresses: ['127.0.0.1'],
      usage: () => Promise.resolve({ nodes: [] }),
      bundles: { zip: buildBundle },
      endpointHost: '127.0.0.1',
    });
    app = await buildApi({ store, clusters, advertiseAddress: '127.0.0.1', version: 'test', log: () => undefined, limits: loadConfig({}).apiLimits });
  });
  afterAll(async () => {
    await app.close();
    await store.close();
  });

  const signIn = async (username = 'alice', apikey = key) => {
    const res = await app.inject({ method: 'POST', url: '/v1/session', payload: { username, apikey } });
    const cookie = (res.headers['set-cookie'] as string | undefined) ?? '';
    return { res, cookie: cookie.split(';')[0] ?? '', setCookie: cookie, csrf: res.json().csrf_token as string };
  };

  it('exchanges username + API key for an HttpOnly, SameSite=Strict session cookie and a CSRF token', async () => {
    const { res, setCookie, csrf } = await signIn();
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ username: 'alice' });
    expect(csrf).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    expect(setCookie).toMatch(/^carina_session=[A-Za-z0-9_-]{40,}; /);
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Strict');
    expect(setCookie).toContain('Path=/');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(setCookie).not.toContain(key);
  });

  it('rejects a wrong key, or a right key under another username, with a clear 401', async () => {
    for (const [username, apikey] of [['alice', `${key.slice(0, -4)}AAAA`], ['bob', key], ['alice', 'nonsense']] as const) {
      const { res, setCookie } = await signIn(username, apikey);
      expect(res.statusCode).toBe(401);
      expect(res.json().error).toMatchObject({ code: 'CARINA_ERR_UNAUTHORIZED', message: expect.stringContaining('username and API key do not match') });
      expect(setCookie).toBe('');
    }
  });

  it('validates the sign-in body like every API body', async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/session', payload: { username: 'alice' } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('CARINA_ERR_VALIDATION');
  });

  it('tells who is signed in, and 401 without a session', async () => {
    const { cookie, csrf } = await signIn();
    const me = await app.inject({ method: 'GET', url: '/v1/session', headers: { cookie } });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({ username: 'alice', csrf_token: csrf });
    const anon = await app.inject({ method: 'GET', url: '/v1/session' });
    expect(anon.statusCode).toBe(401);
    expect(anon.headers['x-content-type-options']).toBe('nosniff');
    expect(anon.json().error.code).toBe('CARINA_ERR_UNAUTHORIZED');
  });

  it('accepts the cookie on /v1 reads, and on writes only with the X-CSRF-Token', async () => {
    const { cookie, csrf } = await signIn();
    expect((await app.inject({ method: 'GET', url: '/v1/quotas', headers: { cookie } })).json()).toMatchObject({ max_clusters: 3, clusters: 0 });
    const noToken = await app.inject({ method: 'POST', url: '/v1/clusters', headers: { cookie }, payload: { name: 'c1' } });
    expect(noToken.statusCode).toBe(403);
    expect(noToken.json().error.code).toBe('CARINA_ERR_CSRF');
    const wrong = await app.inject({ method: 'POST', url: '/v1/clusters', headers: { cookie, 'x-csrf-token': `${csrf.slice(1)}x` }, payload: { name: 'c1' } });
    expect(wrong.statusCode).toBe(403);
    const ok = await app.inject({ method: 'POST', url: '/v1/clusters', headers: { cookie, 'x-csrf-token': csrf }, payload: { name: 'c1' } });
    expect(ok.statusCode).toBe(202);
    expect(ok.json()).toMatchObject({ name: 'c1', status: 'new' });
  });

  it('lets the Authorization header decide when both are sent (no CSRF needed for API keys)', async () => {
    const { cookie } = await signIn();
    const res = await app.inject({ method: 'PUT', url: '/v1/clusters/c1/autoscale', headers: { cookie, authorization: `Bearer ${key}` }, payload: { enabled: true } });
    expect(res.statusCode).toBe(200);
    const bad = await app.inject({ method: 'GET', url: '/v1/quotas', headers: { cookie, authorization: 'Bearer nope' } });
    expect(bad.statusCode).toBe(401);
  });

  it('signs out: the cookie is cleared and no longer works', async () => {
    const { cookie, csrf } = await signIn();
    const forged = await app.inject({ method: 'DELETE', url: '/v1/session', headers: { cookie } });
    expect(forged.statusCode).toBe(403);
    const out = await app.inject({ method: 'DELETE', url: '/v1/session', headers: { cookie, 'x-csrf-token': csrf } });
    expect(out.statusCode).toBe(204);
    expect(out.headers['set-cookie']).toMatch(/^carina_session=; .*Max-Age=0/);
    const after = await app.inject({ method: 'GET', url: '/v1/clusters', headers: { cookie } });
    expect(after.statusCode).toBe(401);
    expect(after.json().error.message).toContain('sign in again');
  });

  it('ends sessions when the API key is rotated', async () => {
    const { cookie } = await signIn();
    const newKey = generateApiKey(accountId);
    await store.accounts.updateKeyHash(accountId, await hashApiKey(newKey));
    expect((await app.inject({ method: 'GET', url: '/v1/clusters', headers: { cookie } })).statusCode).toBe(401);
    key = newKey;
  });

  it('serves the app at / and its client routes, with a strict CSP and security headers', async () => {
    for (const url of ['/', '/clusters/c1', '/new']) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.body).toContain('<div id="root">');
      const csp = String(res.headers['content-security-policy']);
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toContain('unsafe-inline');
      expect(csp).toContain("frame-ancestors 'none'");
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['x-frame-options']).toBe('DENY');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(res.headers['cache-control']).toBe('no-cache');
    }
    // The global setup builds web/dist; its entry script is a hashed file under /assets/.
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(readFileSync(join(defaultWebRoot(), 'index.html'), 'utf8'))?.[1] ?? '/assets/none.js';
    const asset = await app.inject({ method: 'GET', url: script });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(asset.headers['cache-control']).toContain('immutable');
    expect((await app.inject({ method: 'GET', url: '/assets/missing.js' })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: '/%2e%2e/%2e%2e/etc/passwd' })).body).not.toContain('root:');
  });

  it('keeps API paths out of the app: unknown /v1 endpoints stay JSON 404s', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/nothing-here' });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('CARINA_ERR_NOT_FOUND');
    expect((await app.inject({ method: 'GET', url: '/healthz' })).json()).toMatchObject({ status: 'ok' });
  });

  it('finds web/dist of this package by default', () => {
    expect(defaultWebRoot()).toBe(join(new URL('..', import.meta.url).pathname, 'web', 'dist'));
  });
});

// Sessions live in the store: a crash and restart of carina-server keeps the browser signed in.
describe('portal sessions across a restart of carina-server', () => {
  const server = new TestServer('sessions');
  afterAll(() => server.cleanup());

  it('still knows the session, and its CSRF token, after kill -9 and a restart', async () => {
    await server.start();
    const key = await server.createAccount('carol');
    const signIn = await fetch(`${server.url}/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'carol', apikey: key }) });
    expect(signIn.status).toBe(200);
    const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const { csrf_token: csrf } = (await signIn.json()) as { csrf_token: string };
    await server.kill();
    await server.start();
    const who = await fetch(`${server.url}/v1/session`, { headers: { cookie } });
    expect(who.status).toBe(200);
    expect(await who.json()).toMatchObject({ username: 'carol', csrf_token: csrf });
    const out = await fetch(`${server.url}/v1/session`, { method: 'DELETE', headers: { cookie, 'x-csrf-token': csrf } });
    expect(out.status).toBe(204);
    expect((await fetch(`${server.url}/v1/session`, { headers: { cookie } })).status).toBe(401);
  });
});
