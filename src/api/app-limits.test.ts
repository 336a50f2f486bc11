import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import type { ClusterService } from '../core/cluster-service.js';
import type { Store } from '../core/ports.js';
import { ending, rawConnect } from '../net/test-support/raw-client.js';
import { openStore } from '../store/open-store.js';
import { buildApi, type ApiLimits } from './app.js';

// The API's transport limits, on a real socket: slow and greedy clients are cut, others still served.
const GET = 'GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n';
const opened: Array<{ app: FastifyInstance; store: Store }> = [];

/** The API listening on 127.0.0.1 with `limits` (short ones, so the test is quick); returns its port and log. */
async function api(limits: Partial<ApiLimits>): Promise<{ port: number; log: string[] }> {
  const store = await openStore({ url: 'sqlite::memory:' });
  const log: string[] = [];
  const app = await buildApi({
    store,
    clusters: {} as ClusterService, // no cluster route is called
    advertiseAddress: '127.0.0.1',
    version: 'test',
    log: (line) => log.push(line),
    limits: { headersTimeoutMs: 300, requestTimeoutMs: 5_000, maxConnections: 0, maxConnectionsPerAddress: 0, ...limits },
  });
  opened.push({ app, store });
  await app.listen({ host: '127.0.0.1', port: 0 });
  return { port: (app.server.address() as AddressInfo).port, log };
}

/** Sends a whole request on a new connection from `from`; the response's status line. */
async function statusLine(port: number, from = '127.0.0.1'): Promise<string> {
  const socket = await rawConnect(port, from);
  const end = ending(socket, 3_000);
  socket.write(GET);
  return (await end).received.split('\r\n')[0] ?? '';
}

afterEach(async () => {
  for (const { app, store } of opened.splice(0)) {
    await app.close();
    await store.close();
  }
});

describe('the API against slow clients', () => {
  it('cuts a client whose request head is not complete after the head timeout (408), and still serves others', async () => {
    const { port } = await api({ headersTimeoutMs: 300 });
    const slow = await rawConnect(port);
    const end = ending(slow, 3_000);
    slow.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
    const trickle = setInterval(() => slow.write('X-Slow: 1\r\n'), 50); // bytes keep coming: idleness is not what cuts it
    expect(await statusLine(port)).toBe('HTTP/1.1 200 OK');
    const { closedAfterMs, received } = await end;
    clearInterval(trickle);
    expect(closedAfterMs).toBeGreaterThanOrEqual(250);
    expect(closedAfterMs).toBeLessThan(1_500);
    expect(received).toMatch(/^HTTP\/1.1 408 /);
  });

  it('cuts a request whose body trickles past the request timeout', async () => {
    const { port } = await api({ headersTimeoutMs: 200, requestTimeoutMs: 600 });
    const slow = await rawConnect(port);
    const end = ending(slow, 3_000);
    slow.write('POST /v1/session HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{');
    const trickle = setInterval(() => slow.write(' '), 50);
    const { closedAfterMs } = await end;
    clearInterval(trickle);
    expect(closedAfterMs).toBeGreaterThanOrEqual(550);
    expect(closedAfterMs).toBeLessThan(2_000);
  });

  it('closes a connection that never sends anything after the head timeout', async () => {
    const { port } = await api({ headersTimeoutMs: 400 });
    const { closedAfterMs } = await ending(await rawConnect(port), 3_000);
    expect(closedAfterMs).toBeGreaterThanOrEqual(350);
    expect(closedAfterMs).toBeLessThan(1_500);
  });
});

describe('the API against clients holding many connections', () => {
  it('closes at once a connection over the per-address cap, while another address gets through', async () => {
    const { port, log } = await api({ maxConnectionsPerAddress: 3 });
    const held = await Promise.all([1, 2, 3].map(() => rawConnect(port)));
    for (let i = 0; i < 3; i++) expect((await ending(await rawConnect(port), 1_000)).closedAfterMs).toBeLessThan(500);
    expect(await statusLine(port, '127.0.0.2')).toBe('HTTP/1.1 200 OK');
    // Logged once, not once per refusal.
    expect(log).toEqual(['api: closed a new connection from 127.0.0.1 at once: 127.0.0.1 holds 3 connections to the API already (the per-address cap)']);
    held[0]?.destroy();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await statusLine(port)).toBe('HTTP/1.1 200 OK');
    for (const s of held) s.destroy();
  });

  it('closes at once a connection over the total cap, whoever opens it', async () => {
    const { port, log } = await api({ maxConnections: 4 });
    const held = await Promise.all(['127.0.0.1', '127.0.0.1', '127.0.0.2', '127.0.0.3'].map((from) => rawConnect(port, from)));
    expect((await ending(await rawConnect(port, '127.0.0.4'), 1_000)).closedAfterMs).toBeLessThan(500);
    expect(log).toEqual(['api: closed a new connection from 127.0.0.4 at once: api holds 4 connections already (its cap)']);
    for (const s of held) s.destroy();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await statusLine(port, '127.0.0.4')).toBe('HTTP/1.1 200 OK');
  });
});

describe('GET /healthz', () => {
  it('tells anyone only that the API is up', async () => {
    const { port } = await api({});
    const socket = await rawConnect(port);
    const end = ending(socket, 3_000);
    socket.write(GET);
    const body = (await end).received.split('\r\n\r\n')[1];
    expect(JSON.parse(body ?? '')).toEqual({ status: 'ok' });
  });
});
