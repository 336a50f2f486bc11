import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it, vi } from 'vitest';
import { RegistryFront, type TokenAnswer } from './front.js';
import { ca, errorsOf, FakeBackend, KiB, MiB, open, running, send, setUp, tls, until } from './test-support/front-harness.js';

// The registry's front on a real TLS socket, in front of a fake docker-registry that answers as
// Distribution does and records what reached it (test-support/front-harness.ts): quotas checked
// while a blob streams in, the read-only window of garbage collection, the token route, and what
// is passed through.

const UPLOAD = '/v2/alice/app/blobs/uploads/uuid-7?_state=abc';

describe('RegistryFront: the quota, while a blob streams in', () => {
  it('refuses a streamed (chunked) PATCH that goes over the quota with DENIED naming it, keeps the rest from the registry and cancels the upload', async () => {
    const { backend, port, pushTokens } = await setUp(1 * MiB);
    const patch = open(port, 'PATCH', UPLOAD, { 'content-type': 'application/octet-stream' }); // no Content-Length: chunked
    let sent = 0;
    for (let i = 0; i < 64 && !patch.answered(); i++) {
      await patch.write(randomBytes(64 * KiB));
      sent += 64 * KiB;
      await sleep(2);
    }
    const answer = await patch.answer;
    expect(answer.status).toBe(403);
    const [error] = errorsOf(answer);
    expect(error?.code).toBe('DENIED');
    expect(error?.message).toMatch(/registry quota exceeded: alice may store 1\.0 MiB/);
    expect(sent).toBeGreaterThan(1 * MiB);
    const [forwarded] = backend.requests('PATCH');
    expect(forwarded?.bytes.length).toBeLessThanOrEqual(1 * MiB);
    expect(forwarded?.bytes.length).toBeLessThan(sent);
    await until(() => backend.requests('DELETE').length > 0, 'the cancelling DELETE');
    const [cancel] = backend.requests('DELETE');
    expect(cancel?.url).toBe(UPLOAD);
    expect(cancel?.headers.authorization).toBe('Bearer push-token-alice/app');
    expect(pushTokens).toEqual(['alice/app']);
  });

  it('refuses a PATCH whose Content-Length is above the room left before anything reaches the registry', async () => {
    const { backend, port } = await setUp(1 * MiB);
    backend.stored.set('alice', 512 * KiB);
    const patch = open(port, 'PATCH', UPLOAD, { 'content-length': String(600 * KiB) });
    patch.req.flushHeaders(); // the head only: the refusal must not wait for the body
    const answer = await patch.answer;
    patch.req.destroy();
    expect(answer.status).toBe(403);
    expect(errorsOf(answer)[0]).toMatchObject({ code: 'DENIED', message: expect.stringMatching(/quota exceeded: alice may store 1\.0 MiB and uses 0\.5 MiB/) as unknown });
    expect(backend.received).toEqual([]);
  });

  it('passes an upload under the quota byte for byte, and the Location the registry sent comes back unchanged', async () => {
    const { backend, port } = await setUp(1 * MiB);
    const started = await send(port, 'POST', '/v2/alice/app/blobs/uploads/');
    expect(started.status).toBe(202);
    expect(started.headers.location).toBe('/v2/alice/app/blobs/uploads/uuid-1?_state=state-uuid-1');
    const body = randomBytes(700 * KiB);
    const patch = open(port, 'PATCH', started.headers.location ?? '');
    for (let i = 0; i < body.length; i += 100 * KiB) await patch.write(body.subarray(i, i + 100 * KiB));
    const answer = await patch.end();
    expect(answer.status).toBe(202);
    expect(answer.headers.location).toBe('/v2/alice/app/blobs/uploads/uuid-1?_state=next-uuid-1');
    expect(answer.headers.range).toBe(`0-${body.length - 1}`);
    expect(backend.requests('PATCH')[0]?.bytes.equals(body)).toBe(true);
    const put = await send(port, 'PUT', `${answer.headers.location ?? ''}&digest=sha256:0`);
    expect(put.status).toBe(201);
    expect(backend.requests('DELETE')).toEqual([]);
  });

  it('counts the bytes of an upload under way against another upload of the same namespace', async () => {
    const { backend, port } = await setUp(1 * MiB);
    const first = open(port, 'PATCH', '/v2/alice/app/blobs/uploads/uuid-a?_state=a');
    for (let i = 0; i < 7; i++) await first.write(randomBytes(100 * KiB));
    await until(() => backend.requests('PATCH', '/v2/alice/app/')[0]?.bytes.length === 700 * KiB, 'the first upload reaching the registry');
    const second = open(port, 'PATCH', '/v2/alice/db/blobs/uploads/uuid-b?_state=b');
    for (let i = 0; i < 7 && !second.answered(); i++) {
      await second.write(randomBytes(100 * KiB));
      await sleep(2);
    }
    expect((await second.answer).status).toBe(403);
    // The first was within the room all along; another namespace has its own.
    expect((await first.end()).status).toBe(202);
    expect((await send(port, 'PATCH', '/v2/bob/app/blobs/uploads/uuid-c?_state=c', randomBytes(900 * KiB))).status).toBe(202);
  });
});

describe('RegistryFront: the quota counts bytes the registry holds but its storage does not show yet', () => {
  it('counts every PATCH of a blob sent in several (OCI chunked upload), until its PUT', async () => {
    const { backend, port } = await setUp(1 * MiB);
    const location = (await send(port, 'POST', '/v2/alice/app/blobs/uploads/')).headers.location ?? '';
    const first = await send(port, 'PATCH', location, randomBytes(600 * KiB), { 'content-range': `0-${600 * KiB - 1}` });
    expect(first.status).toBe(202);
    const second = await send(port, 'PATCH', first.headers.location ?? '', randomBytes(600 * KiB), { 'content-range': `${600 * KiB}-${1200 * KiB - 1}` });
    expect(second.status).toBe(403);
    expect(errorsOf(second)[0]?.message).toMatch(/quota exceeded: alice may store 1\.0 MiB/);
    expect(backend.requests('PATCH').reduce((n, r) => n + r.bytes.length, 0)).toBeLessThanOrEqual(1 * MiB);
  });

  it('counts an upload committed while another streams against the other (its view of the storage predates the commit)', async () => {
    const { backend, port } = await setUp(1 * MiB);
    const first = open(port, 'PATCH', '/v2/alice/app/blobs/uploads/uuid-a?_state=a');
    await first.write(randomBytes(600 * KiB));
    const second = open(port, 'PATCH', '/v2/alice/db/blobs/uploads/uuid-b?_state=b');
    await second.write(randomBytes(100 * KiB));
    await until(() => backend.requests('PATCH', '/v2/alice/db/')[0]?.bytes.length === 100 * KiB, 'the second upload reaching the registry');
    const patched = await first.end();
    expect(patched.status).toBe(202);
    expect((await send(port, 'PUT', `${patched.headers.location ?? ''}&digest=sha256:0`)).status).toBe(201);
    expect(backend.stored.get('alice')).toBe(600 * KiB);
    for (let i = 0; i < 5 && !second.answered(); i++) {
      await second.write(randomBytes(100 * KiB));
      await sleep(2);
    }
    if (!second.answered()) second.req.end();
    expect((await second.answer).status).toBe(403);
    expect(backend.requests('PATCH', '/v2/alice/db/')[0]?.bytes.length).toBeLessThanOrEqual(1 * MiB - 600 * KiB);
  });

  it('forgets an upload left idle for 30 minutes between PATCH and PUT, and cancels it so no later PATCH adds to it', async () => {
    const { backend, port } = await setUp(1 * MiB);
    const location = (await send(port, 'POST', '/v2/alice/app/blobs/uploads/')).headers.location ?? '';
    const patched = await send(port, 'PATCH', location, randomBytes(600 * KiB));
    expect(patched.status).toBe(202);
    expect((await send(port, 'PATCH', '/v2/alice/db/blobs/uploads/uuid-8?_state=x', randomBytes(600 * KiB))).status).toBe(403);
    const now = Date.now();
    const clock = vi.spyOn(Date, 'now').mockReturnValue(now + 31 * 60_000);
    try {
      expect((await send(port, 'PATCH', '/v2/alice/db/blobs/uploads/uuid-9?_state=y', randomBytes(600 * KiB))).status).toBe(202);
    } finally {
      clock.mockRestore();
    }
    await until(() => backend.requests('DELETE', '/v2/alice/app/').length > 0, 'the idle upload cancelled');
    expect(backend.requests('DELETE', '/v2/alice/app/')[0]?.url).toBe(patched.headers.location);
  });

  it('gives the room of an upload back when it is cancelled', async () => {
    const { port } = await setUp(1 * MiB);
    const location = (await send(port, 'POST', '/v2/alice/app/blobs/uploads/')).headers.location ?? '';
    const patched = await send(port, 'PATCH', location, randomBytes(600 * KiB));
    expect(patched.status).toBe(202);
    expect((await send(port, 'DELETE', patched.headers.location ?? '')).status).toBe(204);
    expect((await send(port, 'PATCH', '/v2/alice/db/blobs/uploads/uuid-9?_state=x', randomBytes(600 * KiB))).status).toBe(202);
  });

  it('reads usage once for the upload requests of a push (docker sends three per layer), counts what was committed since, and reads again after garbage collection', async () => {
    let reads = 0;
    const { front, port, backend: fake } = await setUp(1 * MiB, {
      quota: (namespace) => {
        reads++;
        return Promise.resolve({ quotaBytes: 1 * MiB, usedBytes: fake.stored.get(namespace) ?? 0 });
      },
    });
    // Three layers, each POST, PATCH, PUT,: one read.
    for (let layer = 0; layer < 3; layer++) {
      const location = (await send(port, 'POST', '/v2/alice/app/blobs/uploads/')).headers.location ?? '';
      const patched = await send(port, 'PATCH', location, randomBytes(200 * KiB));
      expect(patched.status).toBe(202);
      expect((await send(port, 'PUT', `${patched.headers.location ?? ''}&digest=sha256:0`)).status).toBe(201);
    }
    expect(reads).toBe(1);
    expect(fake.stored.get('alice')).toBe(600 * KiB);
    // The read predates the three commits; they count all the same, so 500 KiB more does not fit.
    const over = await send(port, 'PATCH', '/v2/alice/db/blobs/uploads/uuid-9?_state=x', randomBytes(500 * KiB));
    expect(over.status).toBe(403);
    expect(errorsOf(over)[0]?.message).toMatch(/alice may store 1\.0 MiB and uses 0\.6 MiB/);
    // Garbage collection frees storage: the next upload reads usage again and fits.
    await front.readOnly(() => Promise.resolve(fake.stored.set('alice', 0)), 0);
    expect((await send(port, 'PATCH', '/v2/alice/db/blobs/uploads/uuid-10?_state=y', randomBytes(500 * KiB))).status).toBe(202);
    expect(reads).toBe(2);
  });
});

describe('RegistryFront: read-only windows for garbage collection', () => {
  it('refuses new pushes (503, Retry-After) while draining, lets the push under way finish, and runs the work only when no write is active', async () => {
    const { front, backend, port } = await setUp(10 * MiB);
    const started = await send(port, 'POST', '/v2/alice/app/blobs/uploads/');
    const location = started.headers.location ?? '';
    const patch = open(port, 'PATCH', location);
    await patch.write(randomBytes(64 * KiB));
    await until(() => backend.requests('PATCH').length === 1, 'the PATCH reaching the registry');

    let worked = false;
    const window = front.readOnly(() => {
      worked = true;
      return Promise.resolve('collected');
    });
    const refused = await send(port, 'POST', '/v2/bob/other/blobs/uploads/');
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('5');
    expect(errorsOf(refused)[0]?.code).toBe('UNAVAILABLE');
    expect(backend.requests('POST', '/v2/bob/')).toEqual([]);

    await patch.write(randomBytes(64 * KiB));
    await sleep(250);
    expect(worked).toBe(false); // the PATCH still streams
    const patched = await patch.end();
    expect(patched.status).toBe(202);
    expect((await send(port, 'PUT', `${patched.headers.location ?? ''}&digest=sha256:0`)).status).toBe(201);
    await sleep(250);
    expect(worked).toBe(false); // blobs sent, manifest not yet: the push is still under way
    expect((await send(port, 'PUT', '/v2/alice/app/manifests/1', Buffer.from('{}'))).status).toBe(201);
    expect(await window).toBe('collected');
    expect(worked).toBe(true);
    expect((await send(port, 'POST', '/v2/bob/other/blobs/uploads/')).status).toBe(202);
  });

  it('refuses a second window while one is open', async () => {
    const { front } = await setUp(MiB);
    let release: (() => void) | undefined;
    const first = front.readOnly(() => new Promise<void>((resolve) => (release = resolve)));
    await expect(front.readOnly(() => Promise.resolve())).rejects.toThrow(/already in a read-only window/);
    await until(() => release !== undefined, 'the first window to run');
    release?.();
    await first;
  });
});

describe('RegistryFront: the token route and passing requests through', () => {
  it('hands GET /token to the token callback with the Authorization, the query and the client address, and answers what it says', async () => {
    const calls: Array<[string | undefined, string, string]> = [];
    const token = (authorization: string | undefined, query: string, client: string): Promise<TokenAnswer> => {
      calls.push([authorization, query, client]);
      return Promise.resolve({ status: 401, headers: { 'content-type': 'application/json', 'www-authenticate': 'Basic realm="Carina registry"' }, body: '{"errors":[]}' });
    };
    const { backend, port } = await setUp(MiB, { token });
    const answer = await send(port, 'GET', '/token?service=carina-registry&scope=repository%3Aalice%2Fapp%3Apull', undefined, { authorization: 'Basic YWxpY2U6eA==' });
    expect(calls).toEqual([['Basic YWxpY2U6eA==', 'service=carina-registry&scope=repository%3Aalice%2Fapp%3Apull', expect.stringMatching(/127\.0\.0\.1$/) as unknown]]);
    expect(answer.status).toBe(401);
    expect(answer.headers['www-authenticate']).toBe('Basic realm="Carina registry"');
    expect(answer.headers['content-type']).toBe('application/json');
    expect(answer.body).toBe('{"errors":[]}');
    expect(backend.received).toEqual([]);
  });

  it('forwards no header the client\'s Connection header names (hop-by-hop too, RFC 9110 7.6.1)', async () => {
    const { backend, port } = await setUp(MiB);
    const answer = await send(port, 'GET', '/v2/', undefined, { connection: 'keep-alive, X-Hop', 'x-hop': 'for the front only', 'x-end': 'for the registry' });
    expect(answer.status).toBe(200);
    expect(backend.received[0]?.headers['x-hop']).toBeUndefined();
    expect(backend.received[0]?.headers['x-end']).toBe('for the registry');
  });

  it('answers 404 in Distribution\'s JSON for a path outside /v2, without asking the registry', async () => {
    const { backend, port } = await setUp(MiB);
    for (const path of ['/', '/v1/registry', '/v2x/alice']) {
      const answer = await send(port, 'GET', path);
      expect(answer.status, path).toBe(404);
      expect(errorsOf(answer)[0]?.code).toBe('NOT_FOUND');
    }
    expect(backend.received).toEqual([]);
  });

  it('forwards no hop-by-hop header either way, tells the registry it was HTTPS, and keeps the client\'s Host', async () => {
    const { backend, port } = await setUp(MiB);
    const answer = await send(port, 'GET', '/v2/alice/app/tags/list?n=5', undefined, {
      host: 'registry.example:5000',
      connection: 'keep-alive',
      'keep-alive': 'timeout=5',
      'proxy-authorization': 'Basic c2VjcmV0',
      te: 'trailers',
      'x-forwarded-proto': 'http',
      'x-forwarded-for': '203.0.113.9',
      authorization: 'Bearer t',
    });
    expect(answer.status).toBe(200);
    const [got] = backend.received;
    expect(got?.url).toBe('/v2/alice/app/tags/list?n=5');
    expect(got?.headers).toMatchObject({ host: 'registry.example:5000', 'x-forwarded-proto': 'https', 'x-forwarded-for': expect.stringMatching(/127\.0\.0\.1$/) as unknown, authorization: 'Bearer t' });
    for (const name of ['keep-alive', 'proxy-authorization', 'te']) expect(got?.headers[name], name).toBeUndefined();
    expect(answer.headers['x-backend']).toBe('yes');
    expect(answer.headers['proxy-authenticate']).toBeUndefined();
    expect(answer.body).toBe('{"ok":true}');
  });
});

describe('RegistryFront: blob downloads served from the registry\'s files', () => {
  const DIGEST = `sha256:${'ab'.repeat(32)}`;
  const content = randomBytes(300 * 1024);
  const file = join(tmpdir(), `carina-front-blob-${process.pid}`);
  writeFileSync(file, content);

  const blobs = (allowed: boolean, present = true) => ({
    mayPull: (authorization: string | undefined, repository: string) => Promise.resolve(allowed && authorization === 'Bearer good' && repository === 'alice/app'),
    file: (repository: string, digest: string) => Promise.resolve(present && repository === 'alice/app' && digest === DIGEST ? { path: file, size: content.length } : undefined),
  });

  it('serves a blob the token may pull from its file, byte for byte, with the registry\'s headers, without asking the registry', async () => {
    const { backend, port } = await setUp(MiB, { blobs: blobs(true) });
    const got: Buffer[] = [];
    const answer = await new Promise<{ status: number; headers: IncomingHttpHeaders }>((resolve, reject) => {
      const req = httpsRequest({ host: '127.0.0.1', servername: 'localhost', port, path: `/v2/alice/app/blobs/${DIGEST}`, headers: { authorization: 'Bearer good' }, ca: ca.caCert, agent: false }, (res) => {
        res.on('data', (d: Buffer) => got.push(d));
        res.once('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
      });
      req.once('error', reject);
      req.end();
    });
    expect(answer.status).toBe(200);
    expect(Buffer.concat(got).equals(content)).toBe(true);
    expect(answer.headers).toMatchObject({ 'content-length': String(content.length), 'docker-content-digest': DIGEST, 'content-type': 'application/octet-stream' });
    const head = await send(port, 'HEAD', `/v2/alice/app/blobs/${DIGEST}`, undefined, { authorization: 'Bearer good' });
    expect([head.status, head.headers['content-length'], head.body]).toEqual([200, String(content.length), '']);
    expect(backend.received).toEqual([]);
  });

  it.each([
    ['no token', {}, true, true],
    ['a token that may not pull it', { authorization: 'Bearer other' }, true, true],
    ['a blob the repository does not hold', { authorization: 'Bearer good' }, true, false],
    ['a range request', { authorization: 'Bearer good', range: 'bytes=0-9' }, true, true],
  ] as const)('passes %s on to the registry, which answers it as always', async (_, headers, allowed, present) => {
    const { backend, port } = await setUp(MiB, { blobs: blobs(allowed, present) });
    await send(port, 'GET', `/v2/alice/app/blobs/${DIGEST}`, undefined, headers);
    expect(backend.received.map((r) => [r.method, r.url])).toEqual([['GET', `/v2/alice/app/blobs/${DIGEST}`]]);
  });
});

describe('listening', () => {
  it('can be started again after its address could not be taken', async () => {
    const { front: first, port } = await setUp(0);
    const backend = new FakeBackend();
    await backend.start();
    const front = new RegistryFront({ listenHost: '127.0.0.1', port, tls, backendUrl: backend.url, headersTimeoutMs: 5_000, log: () => undefined, token: () => Promise.reject(new Error('unused')), quota: () => Promise.reject(new Error('unused')), pushToken: () => Promise.reject(new Error('unused')) });
    running.push({ front, backend });
    await expect(front.start()).rejects.toThrow(/EADDRINUSE/);
    expect(front.listening).toBe(false);
    await first.close();
    expect(await front.start()).toBe(port);
    expect(front.listening).toBe(true);
    expect((await open(port, 'GET', '/v2/').end()).status).toBe(200);
  });
});
