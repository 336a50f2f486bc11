import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterService } from '../core/cluster-service.js';
import type { Store } from '../core/ports.js';
import { ending, rawConnect } from '../net/test-support/raw-client.js';
import { openStore } from '../store/open-store.js';
import { isErrorCode } from '../wire/error-codes.js';
import { generateApiKey, hashApiKey } from './api-keys.js';
import { buildApi } from './app.js';

// What the API answers where Fastify or Node would answer in their own words: every failure is
// `{"error":{"code","message"}}` with one of the contract's codes, and no message repeats a huge
// input. Each case was found by the API fuzz campaign (test/api-fuzz.test.ts) or issue 15.

type ErrorJson = { error: { code: string; message: string } };

describe('failures the framework raises, in the API shape', () => {
  let store: Store;
  let app: FastifyInstance;
  let key = '';
  let port = 0;

  beforeAll(async () => {
    store = await openStore({ url: 'sqlite::memory:' });
    key = generateApiKey('a1b2c3d4e5f60718');
    await store.accounts.create({ id: 'a1b2c3d4e5f60718', name: 'alice', keyHash: await hashApiKey(key), quotaClusters: 1, quotaNodes: 1 });
    app = await buildApi({
      store,
      clusters: {} as ClusterService, // no cluster route gets as far as the service
      advertiseAddress: '127.0.0.1',
      version: 'test',
      log: () => undefined,
      limits: { headersTimeoutMs: 5_000, requestTimeoutMs: 5_000, maxConnections: 0, maxConnectionsPerAddress: 0 },
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    port = (app.server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await app.close();
    await store.close();
  });

  /** The error of an answer, checked for the shape, a known code and a short message. */
  const errorOf = (body: string, status: number): ErrorJson['error'] => {
    const { error } = JSON.parse(body) as ErrorJson;
    expect(isErrorCode(error.code), `${status} ${body.slice(0, 300)}`).toBe(true);
    expect(error.message.length, error.message.slice(0, 300)).toBeLessThanOrEqual(300);
    return error;
  };

  it('answers a path parameter longer than any the contract allows with 400 VALIDATION, without repeating it', async () => {
    const long = 'a'.repeat(3000);
    for (const [method, url] of [
      ['DELETE', `/v1/clusters/${long}`],
      ['PUT', `/v1/clusters/${long}/nodes`],
      ['POST', `/v1/clusters/${long}/grow`],
      ['DELETE', `/v1/registry/repositories/${long}/tags/latest`],
    ] as const) {
      const res = await app.inject({ method, url, headers: { authorization: `Bearer ${key}` } });
      expect(res.statusCode, `${method} ${url.slice(0, 40)}`).toBe(400);
      expect(errorOf(res.body, 400).code).toBe('CARINA_ERR_VALIDATION');
      expect(res.body).not.toContain('a'.repeat(200));
    }
  });

  it('routes every path parameter as long as the contract allows (a repository name of 255 characters)', async () => {
    const res = await app.inject({ method: 'DELETE', url: `/v1/registry/repositories/alice%2F${'r'.repeat(249)}/tags/latest`, headers: { authorization: `Bearer ${key}` } });
    // Reached the route: this API runs no registry.
    expect(errorOf(res.body, res.statusCode).code).toBe('CARINA_ERR_REGISTRY_UNAVAILABLE');
  });

  it('answers a path that is not valid percent-encoded UTF-8 with 400 BAD_REQUEST, without repeating it', async () => {
    for (const url of ['/v1/clusters/%E0%A4%A', `/v1/clusters/${'x'.repeat(90)}%C0%AF`, '/v1/clusters/%ZZ']) {
      const res = await app.inject({ method: 'DELETE', url, headers: { authorization: `Bearer ${key}` } });
      expect([400, 404], url).toContain(res.statusCode);
      errorOf(res.body, res.statusCode);
      expect(res.body).not.toContain('x'.repeat(90));
    }
  });

  it('does not repeat a huge unknown path in the 404', async () => {
    const res = await app.inject({ method: 'GET', url: `/v1/${'z'.repeat(8000)}` });
    expect(res.statusCode).toBe(404);
    expect(errorOf(res.body, 404).code).toBe('CARINA_ERR_NOT_FOUND');
  });

  it('refuses a compressed body or one in another charset than UTF-8 with 415, rather than reading it as plain UTF-8 JSON', async () => {
    const body = JSON.stringify({ username: 'alice', apikey: key });
    for (const headers of [
      { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      { 'content-type': 'application/json', 'content-encoding': 'br, identity' },
      { 'content-type': 'application/json; charset=utf-16' },
      { 'content-type': 'application/json; charset=latin1' },
    ]) {
      const res = await app.inject({ method: 'POST', url: '/v1/session', headers, payload: body });
      expect(res.statusCode, JSON.stringify(headers)).toBe(415);
      expect(errorOf(res.body, 415).code).toBe('CARINA_ERR_UNSUPPORTED_MEDIA_TYPE');
    }
    for (const headers of [
      { 'content-type': 'application/json; charset=utf-8' },
      { 'content-type': 'application/json; charset="UTF-8"', 'content-encoding': 'identity' },
    ]) {
      expect((await app.inject({ method: 'POST', url: '/v1/session', headers, payload: body })).statusCode, JSON.stringify(headers)).toBe(200);
    }
  });

  /** The status line and body of a raw request on its own connection. */
  const raw = async (request: string): Promise<{ status: number; body: string; received: string }> => {
    const socket = await rawConnect(port);
    const end = ending(socket, 3_000);
    socket.write(request);
    const { received } = await end;
    const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(received)?.[1]);
    return { status, body: received.split('\r\n\r\n').slice(1).join('\r\n\r\n'), received };
  };

  it('answers headers over Node’s limit with 431 HEADERS_TOO_LARGE, in the API shape', async () => {
    const { status, body } = await raw(`GET /v1/flavors HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(20_000)}\r\n\r\n`);
    expect(status).toBe(431);
    expect(errorOf(body, status).code).toBe('CARINA_ERR_HEADERS_TOO_LARGE');
  });

  it('answers once when bytes that are no request follow one that said Connection: close', async () => {
    for (const first of [`POST /v1/clusters/${'a'.repeat(6000)}/credentials/rotate HTTP/1.1`, 'GET /v1/flavors HTTP/1.1', 'GET /nope HTTP/1.1']) {
      const socket = await rawConnect(port);
      const end = ending(socket, 3_000);
      socket.write(`${first}\r\nHost: x\r\nConnection: close\r\n\r\n`);
      // The bytes arrive after the answer was written, as they may on a busy server.
      await new Promise((resolve) => setTimeout(resolve, 20));
      socket.write('\u001f\u008b\u0008garbage\r\n\r\n');
      const { received } = await end;
      expect(received.match(/^HTTP\/1\.1 /gm), first).toHaveLength(1);
    }
  });

  it('answers a request Node cannot parse with 400 BAD_REQUEST, in the API shape', async () => {
    for (const request of ['GET /v1/flavors HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n', 'NOT HTTP\r\n\r\n', 'GET /v1/flavors HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n']) {
      const { status, body } = await raw(request);
      expect(status, JSON.stringify(request)).toBe(400);
      expect(errorOf(body, status).code).toBe('CARINA_ERR_BAD_REQUEST');
    }
  });
});
