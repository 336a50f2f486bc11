import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterPki } from '../core/types.js';
import { RecordingTelemetry } from '../core/test-support/recording-telemetry.js';
import { ConnectionCaps } from '../net/connection-caps.js';
import { ending, rawConnect } from '../net/test-support/raw-client.js';
import { X509Pki } from '../pki/x509-pki.js';
import { AuditLog } from './audit-log.js';
import { ClusterListener, listenerPki, type ListenerConfig } from './cluster-listener.js';
import { inspectDocument } from './test-support/engine-documents.js';
import { memoryAudit } from './test-support/memory-audit.js';

// The gateway in front of a fake engine on a unix socket: forwarding, policy, upgrade, rotation, audit.
const dir = mkdtempSync(join(tmpdir(), 'carina-gw-'));
const socketPath = join(dir, 'engine.sock');
const received: Array<{ method: string; url: string; body: string }> = [];
let openStreams = 0;
const { repo, entries: audited } = memoryAudit();

const engine = http.createServer((req, res) => {
  let body = '';
  req.on('data', (c: Buffer) => (body += c.toString()));
  req.on('end', () => {
    received.push({ method: req.method ?? '', url: req.url ?? '', body });
    if (req.url === '/_ping') return res.writeHead(200, { 'Api-Version': '1.41', 'Content-Length': '2' }).end('OK');
    const inspected = inspectDocument(req.method ?? '', req.url ?? '');
    if (inspected !== undefined) return res.writeHead(200, { 'Content-Type': 'application/json' }).end(inspected);
    if (req.url === '/nodes/n1') return res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"Spec":{"Role":"worker"}}');
    if (req.url === '/stream') {
      openStreams += 1;
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      const timer = setInterval(() => res.write('tick\n'), 5);
      res.on('close', () => {
        clearInterval(timer);
        openStreams -= 1;
      });
      return;
    }
    if (req.url === '/quiet') {
      // A stream with nothing to say for a while (docker events, logs -f of a quiet container).
      res.writeHead(200, { 'Content-Type': 'text/plain' }).flushHeaders();
      setTimeout(() => res.end('late\n'), 1_000);
      return;
    }
    res.writeHead(201, { 'Content-Type': 'application/json' }).end('{"Id":"abc"}');
  });
});
engine.on('upgrade', (req: http.IncomingMessage, socket, head: Buffer) => {
  received.push({ method: req.method ?? '', url: req.url ?? '', body: head.toString() });
  socket.write('HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n');
  socket.on('data', (c: Buffer) => socket.write(c.toString().toUpperCase()));
  socket.on('end', () => socket.end('EOF'));
});

let pki: ClusterPki;
let listener: ClusterListener;
let port = 0;
const issuer = new X509Pki();

const agent = (p: ClusterPki, keepAlive = false) => new https.Agent({ keepAlive, maxSockets: 1, ca: p.caCert, cert: p.clientCert, key: p.clientKey });
function request(a: https.Agent, method: string, path: string, body?: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request({ host: '127.0.0.1', port, method, path, agent: a, headers: body === undefined ? {} : { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A listener of cluster `name` on a free port, with generous limits unless told. */
function listenerConfig(p: ClusterPki, over: Partial<ListenerConfig> = {}): ListenerConfig {
  return {
    clusterId: 'c1',
    clusterName: 'web',
    account: 'alice',
    host: '127.0.0.1',
    port: 0,
    upstream: () => ({ kind: 'unix', socketPath }),
    pki: p,
    audit: new AuditLog(repo, () => undefined),
    headersTimeoutMs: 15_000,
    maxConnections: 0,
    caps: new ConnectionCaps({ scope: 'the gateway', perAddress: 0, total: 0, log: () => undefined }),
    ...over,
  };
}

/** Polls `done` every 10 ms for up to 5 s. */
async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !done(); i++) await new Promise((r) => setTimeout(r, 10));
}

beforeAll(async () => {
  await new Promise<void>((resolve) => engine.listen(socketPath, resolve));
  pki = await issuer.createClusterPki({ clusterId: 'c1', clusterName: 'web', accountName: 'alice', dnsNames: ['web.alice.carina.local'], ipAddresses: ['127.0.0.1'] });
  listener = new ClusterListener({ ...listenerConfig(pki), tlsIdleMs: 300 });
  port = (await listener.listen()).port;
});
afterAll(async () => {
  await listener.close();
  await new Promise((resolve) => engine.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

describe('ClusterListener', () => {
  it('is given only the key material it serves with: not the CA key, not the client key', () => {
    expect(listenerPki(pki)).toEqual({ caCert: pki.caCert, serverCert: pki.serverCert, serverKey: pki.serverKey, clientSerial: pki.clientSerial });
  });

  it('forwards requests with the engine headers and audits only mutating ones', async () => {
    const a = agent(pki);
    expect(await request(a, 'GET', '/_ping')).toEqual({ status: 200, text: 'OK' });
    const body = '{"Image":"x","HostConfig":{"Binds":["data:/data"]}}';
    expect(await request(a, 'POST', '/v1.41/containers/create?name=web', body)).toEqual({ status: 201, text: '{"Id":"abc"}' });
    // The create, then the oracle's inspect of what the engine stored.
    expect(received.slice(-2)).toEqual([{ method: 'POST', url: '/v1.41/containers/create?name=web', body }, { method: 'GET', url: '/containers/abc/json', body: '' }]);
    await until(() => audited.length > 0);
    expect(audited.map((e) => [e.method, e.path, e.status, e.deniedCode, e.certSerial])).toEqual([['POST', '/v1.41/containers/create?name=web', 201, null, pki.clientSerial]]);
  });

  it('logs one line per request with an id of its own, the cluster and the outcome', async () => {
    const logged: Record<string, unknown>[] = [];
    const logging = new ClusterListener(listenerConfig(pki, { log: (line, fields) => logged.push({ line, ...fields }) }));
    const at = (await logging.listen()).port;
    try {
      const a = new https.Agent({ keepAlive: true, maxSockets: 1, ca: pki.caCert, cert: pki.clientCert, key: pki.clientKey });
      const answeredIds: unknown[] = [];
      const send = (method: string, path: string, body?: string) =>
        new Promise<number>((resolve, reject) => {
          const req = https.request({ host: '127.0.0.1', port: at, method, path, agent: a, headers: body === undefined ? {} : { 'content-type': 'application/json' } }, (res) => {
            answeredIds.push(res.headers['x-request-id']);
            res.resume().on('end', () => resolve(res.statusCode ?? 0));
          });
          req.on('error', reject);
          req.end(body);
        });
      expect(await send('GET', '/_ping')).toBe(200);
      expect(await send('POST', '/v1.41/containers/create', '{"Image":"x","HostConfig":{"Privileged":true}}')).toBe(403);
      a.destroy();
      // The client sees each request's id too, forwarded or refused: what to quote to an operator.
      expect(answeredIds).toEqual(logged.map((l) => l.reqId));
    } finally {
      await logging.close();
    }
    expect(logged).toEqual([
      expect.objectContaining({ line: 'GET /_ping 200', clusterId: 'c1', account: 'alice', method: 'GET', path: '/_ping', status: 200 }),
      expect.objectContaining({ line: 'POST /v1.41/containers/create 403 refused: CARINA-1001', status: 403, code: 'CARINA-1001' }),
    ]);
    const [first, second] = logged.map((l) => l.reqId);
    expect(first).toMatch(/^[0-9a-f-]{36}$/);
    expect(second).toMatch(/^[0-9a-f-]{36}$/);
    expect(second).not.toBe(first); // one connection, two requests, two ids
  });

  it('refuses what the policy forbids without reaching the engine', async () => {
    const before = received.length;
    const res = await request(agent(pki), 'POST', '/v1.41/containers/create', '{"Image":"x","HostConfig":{"privileged":true}}');
    expect(res.status).toBe(403);
    expect(JSON.parse(res.text)).toEqual({ message: 'CARINA-1001: privileged containers are not allowed', code: 'CARINA-1001' });
    expect((await request(agent(pki), 'POST', '/v1.41/nodes/n1/update', '{"Role":"manager"}')).status).toBe(403);
    expect((await request(agent(pki), 'POST', '/v1.41/containers/create', `{"Image":"${'x'.repeat(1_200_000)}"}`)).status).toBe(413);
    expect(received.slice(before).map((r) => r.url)).toEqual(['/nodes/n1']);
  });

  it('hijacks attach/exec connections and passes a half-close through', async () => {
    const socket = tls.connect({ host: '127.0.0.1', port, ca: pki.caCert, cert: pki.clientCert, key: pki.clientKey, servername: 'localhost' });
    await new Promise((resolve) => socket.once('secureConnect', resolve));
    const body = '{"Detach":false,"Tty":false}';
    socket.write(`POST /v1.41/exec/e1/start HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    let out = '';
    socket.on('data', (c: Buffer) => (out += c.toString()));
    await until(() => out.includes('\r\n\r\n'));
    expect(out).toMatch(/^HTTP\/1.1 101 UPGRADED\r\n/);
    socket.end('hello');
    await new Promise((resolve) => socket.on('close', resolve));
    expect(out.endsWith('\r\n\r\nHELLOEOF')).toBe(true);
    expect(received.at(-1)).toMatchObject({ method: 'POST', url: '/v1.41/exec/e1/start', body });
  });

  it('ends the engine stream when the client goes away', async () => {
    await new Promise<void>((resolve) => {
      const req = https.get({ host: '127.0.0.1', port, path: '/stream', agent: agent(pki) }, (res) => {
        res.once('data', () => {
          expect(openStreams).toBe(1);
          req.destroy();
          resolve();
        });
      });
    });
    await until(() => openStreams === 0);
    expect(openStreams).toBe(0);
  });

  it('refuses the previous client certificate as soon as the credentials rotate, open connections included', async () => {
    const kept = agent(pki, true);
    expect((await request(kept, 'GET', '/_ping')).status).toBe(200);
    const rotated = { ...pki, ...(await issuer.issueClientCert(pki, 'alice')) };
    listener.update(rotated);
    const again = await request(kept, 'GET', '/_ping').catch(() => ({ status: 0, text: '' }));
    expect([0, 401]).toContain(again.status);
    const old = await request(agent(pki), 'GET', '/_ping');
    expect(old.status).toBe(401);
    expect(old.text).toContain('CARINA-1092');
    expect((await request(agent(rotated), 'GET', '/_ping')).status).toBe(200);
  });

  it('drops its TLS context once idle, and makes it again for the next caller', async () => {
    const current = { ...pki, ...(await issuer.issueClientCert(pki, 'alice')) };
    listener.update(current);
    const a = agent(current);
    expect((await request(a, 'GET', '/_ping')).status).toBe(200);
    expect(listener.tlsLoaded).toBe(true);
    a.destroy();
    await until(() => !listener.tlsLoaded);
    expect(listener.tlsLoaded).toBe(false);
    expect((await request(agent(current), 'GET', '/_ping')).status).toBe(200);
    expect(listener.tlsLoaded).toBe(true);
  });
});

/** An mTLS connection from `from` (any 127.x address) to `port` as `p`'s client, once the handshake is done. */
async function tlsConnect(p: ClusterPki, port: number, from = '127.0.0.1'): Promise<tls.TLSSocket> {
  const raw = await rawConnect(port, from);
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ socket: raw, ca: p.caCert, cert: p.clientCert, key: p.clientKey, servername: 'localhost' });
    socket.once('secureConnect', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** `GET path` on a new mTLS connection from `from`: what came back before the connection closed. */
async function getFrom(p: ClusterPki, port: number, path: string, from = '127.0.0.1'): Promise<string> {
  const socket = await tlsConnect(p, port, from);
  const end = ending(socket, 5_000);
  socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
  return (await end).received;
}

describe('ClusterListener against slow clients (head timeout 300 ms)', () => {
  let slow: ClusterListener;
  let slowPort = 0;
  beforeAll(async () => {
    slow = new ClusterListener(listenerConfig(pki, { headersTimeoutMs: 300, tlsIdleMs: 100 }));
    slowPort = (await slow.listen()).port;
  });
  afterAll(() => slow.close());

  it('drops a client that connects and never completes its TLS handshake', async () => {
    const silent = await rawConnect(slowPort);
    const halfHello = await rawConnect(slowPort);
    const ends = [ending(silent, 3_000), ending(halfHello, 3_000)];
    halfHello.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00])); // the start of a ClientHello, and no more
    for (const { closedAfterMs } of await Promise.all(ends)) {
      expect(closedAfterMs).toBeGreaterThanOrEqual(250);
      expect(closedAfterMs).toBeLessThan(1_500);
    }
  });

  it('cuts a client whose request head is still incomplete after the timeout (408), and one that sends no request', async () => {
    const trickling = await tlsConnect(pki, slowPort);
    const idle = await tlsConnect(pki, slowPort);
    const ends = [ending(trickling, 3_000), ending(idle, 3_000)] as const;
    trickling.write('GET /_ping HTTP/1.1\r\nHost: x\r\n');
    const timer = setInterval(() => trickling.write('X-Slow: 1\r\n'), 50);
    expect(await getFrom(pki, slowPort, '/_ping')).toMatch(/^HTTP\/1.1 200 /); // meanwhile others are served
    const [cut, quiet] = await Promise.all(ends);
    clearInterval(timer);
    expect(cut.received).toMatch(/^HTTP\/1.1 408 /);
    for (const { closedAfterMs } of [cut, quiet]) {
      expect(closedAfterMs).toBeGreaterThanOrEqual(250);
      expect(closedAfterMs).toBeLessThan(1_500);
    }
  });

  it('never cuts a stream, even one that says nothing for longer than the timeout, nor a quiet hijacked connection', async () => {
    expect(await getFrom(pki, slowPort, '/quiet')).toMatch(/^HTTP\/1.1 200 [^]*late\n/);
    const attach = await tlsConnect(pki, slowPort);
    let out = '';
    attach.on('data', (c: Buffer) => (out += c.toString()));
    attach.write('POST /v1.41/containers/x/attach?stream=1 HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n');
    await until(() => out.includes('\r\n\r\n'));
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    attach.end('still here');
    await new Promise((resolve) => attach.on('close', resolve));
    expect(out.endsWith('\r\n\r\nSTILL HEREEOF')).toBe(true);
  });

  it('still cuts slow clients after it dropped its idle TLS context and made it again', async () => {
    await until(() => !slow.tlsLoaded);
    expect(slow.tlsLoaded).toBe(false);
    const { closedAfterMs } = await ending(await tlsConnect(pki, slowPort), 3_000);
    expect(closedAfterMs).toBeGreaterThanOrEqual(200);
    expect(closedAfterMs).toBeLessThan(1_500);
  });
});

describe('ClusterListener against clients holding many connections', () => {
  let other: ClusterPki;
  beforeAll(async () => {
    other = await issuer.createClusterPki({ clusterId: 'c2', clusterName: 'db', accountName: 'alice', dnsNames: ['db.alice.carina.local'], ipAddresses: ['127.0.0.1'] });
  });

  /** Two clusters' listeners sharing `caps`; cluster web holds at most `maxConnections`. */
  async function pair(caps: ConnectionCaps, maxConnections = 0) {
    const web = new ClusterListener(listenerConfig(pki, { caps, maxConnections }));
    const db = new ClusterListener(listenerConfig(other, { clusterId: 'c2', clusterName: 'db', caps }));
    const ports = { web: (await web.listen()).port, db: (await db.listen()).port };
    return { ports, close: () => Promise.all([web.close(), db.close()]) };
  }
  const closedAtOnce = async (port: number, from: string) => (await ending(await rawConnect(port, from), 1_000)).closedAfterMs !== undefined;

  it('closes at once what one address opens over its cap, on any cluster, while another address gets through', async () => {
    const log: string[] = [];
    const { ports, close } = await pair(new ConnectionCaps({ scope: 'the gateway', perAddress: 3, total: 0, log: (l) => log.push(l) }));
    const held = [await rawConnect(ports.web), await rawConnect(ports.web), await rawConnect(ports.db)];
    expect(await closedAtOnce(ports.web, '127.0.0.1')).toBe(true);
    expect(await closedAtOnce(ports.db, '127.0.0.1')).toBe(true);
    expect(await getFrom(pki, ports.web, '/_ping', '127.0.0.2')).toMatch(/^HTTP\/1.1 200 /);
    expect(log).toEqual(['gateway alice/web: closed a new connection from 127.0.0.1 at once: 127.0.0.1 holds 3 connections to the gateway already (the per-address cap)']);
    for (const s of held) s.destroy();
    await close();
  });

  it("closes at once what a cluster's port gets over its own cap, while another cluster still gets through", async () => {
    const log: string[] = [];
    const { ports, close } = await pair(new ConnectionCaps({ scope: 'the gateway', perAddress: 0, total: 0, log: (l) => log.push(l) }), 4);
    const held = await Promise.all(['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5'].map((from) => rawConnect(ports.web, from)));
    expect(await closedAtOnce(ports.web, '127.0.0.6')).toBe(true);
    expect(await getFrom(other, ports.db, '/_ping', '127.0.0.6')).toMatch(/^HTTP\/1.1 200 /);
    expect(log).toEqual(['gateway alice/web: closed a new connection from 127.0.0.6 at once: gateway alice/web holds 4 connections already (its cap)']);
    held[0]?.destroy();
    await until(() => false === held[0]?.readable);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await getFrom(pki, ports.web, '/_ping', '127.0.0.6')).toMatch(/^HTTP\/1.1 200 /);
    for (const s of held) s.destroy();
    await close();
  });

  it('closes at once what all clusters together get over the total cap', async () => {
    const { ports, close } = await pair(new ConnectionCaps({ scope: 'the gateway', perAddress: 0, total: 2, log: () => undefined }));
    const held = [await rawConnect(ports.web, '127.0.0.2'), await rawConnect(ports.web, '127.0.0.3')];
    expect(await closedAtOnce(ports.db, '127.0.0.4')).toBe(true);
    for (const s of held) s.destroy();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await getFrom(other, ports.db, '/_ping', '127.0.0.4')).toMatch(/^HTTP\/1.1 200 /);
    await close();
  });
});

describe('ClusterListener telemetry', () => {
  it('counts each request by how it ended, and the bytes of each connection once it closes', async () => {
    const telemetry = new RecordingTelemetry();
    const counted = new ClusterListener(listenerConfig(pki, { telemetry }));
    const countedPort = (await counted.listen()).port;
    const ping = await getFrom(pki, countedPort, '/_ping');
    expect(ping).toMatch(/^HTTP\/1.1 200 /);
    const socket = await tlsConnect(pki, countedPort);
    const end = ending(socket, 5_000);
    socket.write('POST /v1.41/swarm/leave HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
    expect((await end).received).toMatch(/^HTTP\/1.1 403 /);
    const bytes = () => telemetry.lines.filter((l) => l.startsWith('bytes '));
    await until(() => bytes().length === 2);
    await counted.close();
    expect(telemetry.lines.filter((l) => !l.startsWith('bytes '))).toEqual(['gateway forwarded', 'gateway CARINA-1004']);
    // On the wire, TLS included: more than the request and the answer themselves.
    const [received = 0, sent = 0] = bytes()[0]?.split(' ').slice(1).map(Number) ?? [];
    expect(received).toBeGreaterThan('GET /_ping HTTP/1.1\r\n'.length);
    expect(sent).toBeGreaterThan(ping.length);
  });
});
