import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterService } from '../../core/cluster-service.js';
import type { Store } from '../../core/ports.js';
import { openStore } from '../../store/open-store.js';
import { generateApiKey, hashApiKey } from '../api-keys.js';
import { buildApi } from '../app.js';

// The session cookie as a browser sees it: its flags (Secure only over HTTPS), and which Cookie header signs whom in.
describe('the portal session cookie', () => {
  let store: Store;
  let app: FastifyInstance;
  let key = '';

  beforeAll(async () => {
    store = await openStore({ url: 'sqlite::memory:' });
    key = generateApiKey('a1b2c3d4e5f60718');
    await store.accounts.create({ id: 'a1b2c3d4e5f60718', name: 'alice', keyHash: await hashApiKey(key), quotaClusters: 1, quotaNodes: 1 });
    app = await buildApi({
      store,
      clusters: {} as ClusterService, // no cluster route is called
      advertiseAddress: '127.0.0.1',
      version: 'test',
      log: () => undefined,
      limits: { headersTimeoutMs: 5_000, requestTimeoutMs: 5_000, maxConnections: 0, maxConnectionsPerAddress: 0 },
      trustProxy: ['127.0.0.1'], // app.inject comes from 127.0.0.1: X-Forwarded-Proto tells HTTPS
    });
  });
  afterAll(async () => {
    await app.close();
    await store.close();
  });

  const signIn = (headers: Record<string, string> = {}) =>
    app.inject({ method: 'POST', url: '/v1/session', headers, payload: { username: 'alice', apikey: key } });
  const sessionOf = (setCookie: unknown) => String(setCookie).split(';')[0] ?? '';
  const whoAmI = (cookie: string) => app.inject({ method: 'GET', url: '/v1/session', headers: { cookie } });

  it('is HttpOnly, SameSite=Strict, for the whole site, for 12 hours; Secure only over HTTPS', async () => {
    const plain = String((await signIn()).headers['set-cookie']);
    expect(plain).toMatch(/^carina_session=[A-Za-z0-9_-]{43}; /);
    expect(plain.split('; ').slice(1).sort()).toEqual(['HttpOnly', 'Max-Age=43200', 'Path=/', 'SameSite=Strict']);
    const https = String((await signIn({ 'x-forwarded-proto': 'https' })).headers['set-cookie']);
    expect(https.split('; ').slice(1).sort()).toEqual(['HttpOnly', 'Max-Age=43200', 'Path=/', 'SameSite=Strict', 'Secure']);
  });

  it('is cleared at sign-out with the same flags and Max-Age=0', async () => {
    const res = await signIn({ 'x-forwarded-proto': 'https' });
    const csrf = res.json<{ csrf_token: string }>().csrf_token;
    const out = await app.inject({
      method: 'DELETE',
      url: '/v1/session',
      headers: { cookie: sessionOf(res.headers['set-cookie']), 'x-csrf-token': csrf, 'x-forwarded-proto': 'https' },
    });
    expect(out.statusCode).toBe(204);
    const cleared = String(out.headers['set-cookie']);
    expect(cleared).toMatch(/^carina_session=; /);
    expect(cleared.split('; ').slice(1).sort()).toEqual(['HttpOnly', 'Max-Age=0', 'Path=/', 'SameSite=Strict', 'Secure']);
  });

  it('signs in by the first carina_session of a Cookie header, among other cookies', async () => {
    const session = sessionOf((await signIn()).headers['set-cookie']);
    expect((await whoAmI(`theme=dark; ${session}; carina_session=other`)).statusCode).toBe(200);
    expect((await whoAmI(`carina_session=other; ${session}`)).statusCode).toBe(401);
  });

  it('signs nobody in with a malformed or unknown cookie value', async () => {
    for (const cookie of ['carina_session=%E0%A4%A', 'carina_session=', 'carina_session=guess', 'other=1']) {
      const res = await whoAmI(cookie);
      expect(res.statusCode, cookie).toBe(401);
      expect(res.json<{ error: { code: string } }>().error.code).toBe('CARINA_ERR_UNAUTHORIZED');
    }
  });
});
