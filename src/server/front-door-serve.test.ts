import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApi } from '../api/app.js';
import { generateApiKey, hashApiKey } from '../api/api-keys.js';
import type { ClusterService } from '../core/cluster-service.js';
import type { Store } from '../core/ports.js';
import { loadConfig } from '../config/config.js';
import { X509Pki } from '../pki/x509-pki.js';
import { openStore } from '../store/open-store.js';
import { API_CA_FILE, openFrontDoor, reloadOnChange, type FrontDoor } from './front-door.js';

// The API served through its front door, on a real socket: HTTPS with the self-issued or the
// operator's certificate, TLS 1.2 at least, HSTS, a reload that keeps the API up, trusted proxies.
const opened: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of opened.splice(0).reverse()) await close();
});

async function serve(env: Record<string, string>, trustProxy: string[] = []): Promise<{ port: number; door: FrontDoor; app: FastifyInstance; store: Store; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'carina-front-serve-'));
  const config = loadConfig({ CARINA_DATA_DIR: dir, CARINA_LISTEN: '0.0.0.0:0', ...env });
  const door = await openFrontDoor(config, randomBytes(32), () => undefined);
  const store = await openStore({ url: 'sqlite::memory:' });
  const app = await buildApi({
    store, clusters: {} as ClusterService, advertiseAddress: '127.0.0.1', version: 'test', log: () => undefined,
    limits: { headersTimeoutMs: 5_000, requestTimeoutMs: 10_000, maxConnections: 0, maxConnectionsPerAddress: 0 },
    tls: door.tls, trustProxy,
  });
  const stop = reloadOnChange(door, app, () => undefined);
  opened.push(async () => {
    stop();
    await app.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  return { port: (app.server.address() as AddressInfo).port, door, app, store, dir };
}

function get(port: number, options: https.RequestOptions & { path?: string } = {}): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.get({ host: '127.0.0.1', port, path: '/healthz', ...options }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
  });
}

describe('the API over HTTPS', () => {
  it('serves the self-issued certificate that its CA file vouches for, with HSTS, and refuses TLS below 1.2', async () => {
    const { port, dir } = await serve({});
    const ca = readFileSync(join(dir, API_CA_FILE));
    const res = await get(port, { ca });
    expect({ status: res.status, body: res.body }).toEqual({ status: 200, body: '{"status":"ok"}' });
    expect(res.headers['strict-transport-security']).toBe('max-age=31536000');
    // A client able to speak TLS 1.1 (OpenSSL's security level lowered) is refused by the server's alert.
    await expect(get(port, { ca, maxVersion: 'TLSv1.1', minVersion: 'TLSv1', ciphers: 'DEFAULT@SECLEVEL=0' })).rejects.toThrow(/alert protocol version/);
    await expect(get(port)).rejects.toThrow(/self[- ]signed|unable to verify|certificate/i);
  });

  it("takes the operator's new certificate on SIGHUP without dropping the API or open connections", async () => {
    const pki = new X509Pki();
    const [caA, caB] = await Promise.all([pki.createCa('a'), pki.createCa('b')]);
    const first = await pki.issueServerCert(caA, { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
    const dir = mkdtempSync(join(tmpdir(), 'carina-front-files-'));
    opened.push(() => Promise.resolve(rmSync(dir, { recursive: true, force: true })));
    const [certFile, keyFile] = [join(dir, 'tls.crt'), join(dir, 'tls.key')];
    writeFileSync(certFile, first.cert);
    writeFileSync(keyFile, first.key);
    const { port } = await serve({ CARINA_TLS_CERT: certFile, CARINA_TLS_KEY: keyFile });
    const kept = new https.Agent({ keepAlive: true, maxSockets: 1, ca: caA.caCert });
    expect((await get(port, { agent: kept })).status).toBe(200);

    const second = await pki.issueServerCert(caB, { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
    writeFileSync(certFile, second.cert);
    writeFileSync(keyFile, second.key);
    process.emit('SIGHUP', 'SIGHUP');
    let fresh = 0;
    for (let i = 0; i < 50 && fresh !== 200; i++) {
      await new Promise((r) => setTimeout(r, 50));
      fresh = await get(port, { ca: caB.caCert, agent: false }).then((r) => r.status, () => 0);
    }
    expect(fresh).toBe(200);
    expect((await get(port, { agent: kept })).status).toBe(200); // the open connection keeps its certificate
    kept.destroy();
    await expect(get(port, { ca: caA.caCert, agent: false })).rejects.toThrow();
  });
});

describe('behind a proxy', () => {
  /** Eleven wrong keys for one account, all sent as from `forwardedFor`; then one more as from `then`. */
  async function guess(trustProxy: string[], forwardedFor: string, then: string): Promise<number> {
    const { port, store, dir } = await serve({ CARINA_INSECURE_HTTP: '0' }, trustProxy);
    const key = generateApiKey('acc1');
    await store.accounts.create({ id: 'acc1', name: 'alice', keyHash: await hashApiKey(key), quotaClusters: 1, quotaNodes: 1 });
    const ca = readFileSync(join(dir, API_CA_FILE));
    const wrong = generateApiKey('acc1');
    const attempt = (from: string) => get(port, { ca, path: '/v1/quotas', headers: { authorization: `Bearer ${wrong}`, 'x-forwarded-for': from } }).then((r) => r.status);
    for (let i = 0; i < 11; i++) await attempt(forwardedFor);
    return attempt(then);
  }

  it('keys the key-guessing throttle on the forwarded address when the proxy is trusted', async () => {
    expect(await guess(['127.0.0.1'], '203.0.113.9', '198.51.100.4')).toBe(401);
  });

  it('ignores X-Forwarded-For from anyone not named', async () => {
    expect(await guess([], '203.0.113.9', '198.51.100.4')).toBe(429);
  });
});
