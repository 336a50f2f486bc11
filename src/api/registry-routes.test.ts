import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterService } from '../core/cluster-service.js';
import type { Store } from '../core/ports.js';
import { PULL_CREDENTIAL_PREFIX, type RegistryAccess } from '../core/registry-access.js';
import { RegistryService, type PullIdentity, type RegistryContents, type RegistryTokens } from '../core/registry-service.js';
import { openStore } from '../store/open-store.js';
import { generateApiKey, hashApiKey } from './api-keys.js';
import { buildApi } from './app.js';

// The registry's routes through the whole API on an in-memory SQLite store: /v1/registry… in the
// API's error shape, and the token server in Distribution's (its client is the docker daemon).

/** Tokens whose grants can be read back: the JSON of what was asked to be signed. */
class FakeTokens implements RegistryTokens {
  readonly service = 'carina-registry';
  readonly #credentials = new Map<string, PullIdentity>();

  issue(subject: string, access: readonly RegistryAccess[], ttlSeconds: number): Promise<string> {
    return Promise.resolve(JSON.stringify({ subject, access, ttlSeconds }));
  }

  pullCredential(identity: PullIdentity): Promise<string> {
    const credential = `${PULL_CREDENTIAL_PREFIX}${identity.accountId}`;
    this.#credentials.set(credential, identity);
    return Promise.resolve(credential);
  }

  verifyPullCredential(password: string): Promise<PullIdentity | undefined> {
    return Promise.resolve(this.#credentials.get(password));
  }
}

const contents: RegistryContents = {
  usage: () => Promise.resolve(42),
  repositories: (namespace) => Promise.resolve([{ name: `${namespace}/app`, sizeBytes: 42, tags: [{ name: '1', digest: `sha256:${'a'.repeat(64)}`, sizeBytes: 40 }] }]),
  untag: () => Promise.resolve(false),
};

const ALICE = 'a1b2c3d4e5f60718';
const limits = { headersTimeoutMs: 5_000, requestTimeoutMs: 5_000, maxConnections: 0, maxConnectionsPerAddress: 0 };
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('registry routes', () => {
  let store: Store;
  let without: FastifyInstance;
  let withRegistry: FastifyInstance;
  let tokens: FakeTokens;
  let key = '';

  beforeAll(async () => {
    store = await openStore({ url: 'sqlite::memory:' });
    key = generateApiKey(ALICE);
    await store.accounts.create({ id: ALICE, name: 'alice', keyHash: await hashApiKey(key), quotaClusters: 1, quotaNodes: 1 });
    const deps = { store, clusters: {} as ClusterService, advertiseAddress: '127.0.0.1', version: 'test', log: () => undefined, limits }; // no cluster route is called
    without = await buildApi(deps);
    tokens = new FakeTokens();
    const registry = new RegistryService({ store, tokens, contents, address: '10.0.0.5:5000', caPem: 'CA PEM', defaultQuotaBytes: 1000 });
    withRegistry = await buildApi({ ...deps, registry });
  });
  afterAll(async () => {
    await without.close();
    await withRegistry.close();
    await store.close();
  });

  const token = (app: FastifyInstance, query: string, authorization?: string) =>
    app.inject({ method: 'GET', url: `/registry/token?${query}`, headers: authorization ? { authorization } : {} });
  const errorsOf = (body: string) => (JSON.parse(body) as { errors: Array<{ code: string; message: string; detail: null }> }).errors;
  const grantOf = (body: string) => (JSON.parse((JSON.parse(body) as { token: string }).token) as { access: RegistryAccess[] }).access;

  describe('with no registry configured', () => {
    it('answers GET /v1/registry and /v1/registry/repositories 503 CARINA_ERR_REGISTRY_UNAVAILABLE', async () => {
      for (const url of ['/v1/registry', '/v1/registry/repositories']) {
        const res = await without.inject({ method: 'GET', url, headers: { authorization: `Bearer ${key}` } });
        expect(res.statusCode, url).toBe(503);
        expect(res.json<{ error: { code: string; message: string } }>().error).toMatchObject({ code: 'CARINA_ERR_REGISTRY_UNAVAILABLE', message: expect.stringMatching(/runs no registry/) as unknown });
      }
    });

    it('still wants credentials first', async () => {
      expect((await without.inject({ method: 'GET', url: '/v1/registry' })).statusCode).toBe(401);
    });

    it('answers the token route 503 in Distribution\'s JSON', async () => {
      const res = await token(without, 'service=carina-registry', basic('alice', key));
      expect(res.statusCode).toBe(503);
      expect(errorsOf(res.body)[0]?.code).toBe('UNAVAILABLE');
    });
  });

  describe('GET /v1/registry', () => {
    it('names the address, the namespace, the quota, the usage and the CA', async () => {
      const res = await withRegistry.inject({ method: 'GET', url: '/v1/registry', headers: { authorization: `Bearer ${key}` } });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ address: '10.0.0.5:5000', namespace: 'alice', quota_bytes: 1000, used_bytes: 42, ca_pem: 'CA PEM' });
    });
  });

  describe('GET /registry/token', () => {
    it('answers 401 UNAUTHORIZED with a Basic challenge and how to log in when no credentials come', async () => {
      const res = await token(withRegistry, 'service=carina-registry&scope=repository:alice/app:pull');
      expect(res.statusCode).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Basic realm="Carina registry"');
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(errorsOf(res.body)).toEqual([{ code: 'UNAUTHORIZED', message: expect.stringMatching(/docker login 10\.0\.0\.5:5000 -u/) as unknown, detail: null }]);
    });

    it('answers 401 UNAUTHORIZED for a wrong API key, a pull credential it did not issue, and another account\'s pull credential', async () => {
      const wrongKey = await token(withRegistry, 'service=carina-registry', basic('alice', generateApiKey(ALICE)));
      expect(wrongKey.statusCode).toBe(401);
      expect(errorsOf(wrongKey.body)[0]?.code).toBe('UNAUTHORIZED');
      const forged = await token(withRegistry, 'service=carina-registry', basic('alice', `${PULL_CREDENTIAL_PREFIX}forged`));
      expect(forged.statusCode).toBe(401);
      expect(errorsOf(forged.body)[0]?.message).toMatch(/invalid pull credential/);
      const credential = await tokens.pullCredential({ accountId: ALICE, accountName: 'alice' });
      expect((await token(withRegistry, 'service=carina-registry', basic('bob', credential))).statusCode).toBe(401);
    });

    it('answers 400 UNSUPPORTED for another service', async () => {
      const res = await token(withRegistry, 'service=docker.io', basic('alice', key));
      expect(res.statusCode).toBe(400);
      expect(errorsOf(res.body)[0]?.code).toBe('UNSUPPORTED');
    });

    it('issues {token, access_token, expires_in, issued_at} for the API key, granting push and pull of the account\'s own repositories', async () => {
      const before = Date.now();
      const res = await token(withRegistry, 'service=carina-registry&scope=repository:alice/app:pull,push&scope=repository:bob/app:pull', basic('alice', key));
      expect(res.statusCode).toBe(200);
      expect(res.headers['cache-control']).toBe('no-store');
      const body = res.json<{ token: string; access_token: string; expires_in: number; issued_at: string }>();
      expect(Object.keys(body).sort()).toEqual(['access_token', 'expires_in', 'issued_at', 'token']);
      expect(body.access_token).toBe(body.token);
      expect(body.expires_in).toBe(300);
      expect(Date.parse(body.issued_at)).toBeGreaterThanOrEqual(before - 1_000);
      expect(body.issued_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
      expect(grantOf(res.body)).toEqual([{ type: 'repository', name: 'alice/app', actions: ['pull', 'push'] }]);
    });

    it('grants a pull credential pull only, whatever it asks for', async () => {
      const credential = await tokens.pullCredential({ accountId: ALICE, accountName: 'alice' });
      for (const scope of ['repository:alice/app:push,pull', 'repository:alice/app:push', 'repository:alice/app:*', 'repository:alice/app:pull,push,delete']) {
        const res = await token(withRegistry, `service=carina-registry&scope=${encodeURIComponent(scope)}`, basic('alice', credential));
        if (!scope.includes('pull')) {
          // Nothing grantable: refused with the reason, in Distribution's shape (the docker client prints it).
          expect(res.statusCode, scope).toBe(403);
          const { errors } = JSON.parse(res.body) as { errors: Array<{ code: string; message: string; detail: unknown }> };
          expect(errors.map((e) => [e.code, e.detail]), scope).toEqual([['DENIED', null]]);
          expect(errors[0]?.message, scope).toMatch(/may only pull alice\//);
          continue;
        }
        expect(res.statusCode, scope).toBe(200);
        expect(grantOf(res.body), scope).toEqual([{ type: 'repository', name: 'alice/app', actions: ['pull'] }]);
      }
    });
  });
});
