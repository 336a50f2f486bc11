import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry, AuditRepository } from '../core/ports.js';
import type { ClusterPki } from '../core/types.js';
import { X509Pki } from '../pki/x509-pki.js';
import { AuditLog } from './audit-log.js';
import { ClusterListener } from './cluster-listener.js';

// The gateway in front of a fake engine on a unix socket: forwarding, policy, upgrade, rotation, audit.
const dir = mkdtempSync(join(tmpdir(), 'carina-gw-'));
const socketPath = join(dir, 'engine.sock');
const received: Array<{ method: string; url: string; body: string }> = [];
let openStreams = 0;
const audited: AuditEntry[] = [];
const repo: AuditRepository = {
  append: (e) => {
    const entry = { ...e, id: audited.length + 1, at: new Date() };
    audited.push(entry);
    return Promise.resolve(entry);
  },
  list: () => Promise.resolve(audited),
  pruneBefore: () => Promise.resolve(0),
};

const engine = http.createServer((req, res) => {
  let body = '';
  req.on('data', (c: Buffer) => (body += c.toString()));
  req.on('end', () => {
    received.push({ method: req.method ?? '', url: req.url ?? '', body });
    if (req.url === '/_ping') return res.writeHead(200, { 'Api-Version': '1.41', 'Content-Length': '2' }).end('OK');
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

/** Polls `done` every 10 ms for up to 5 s. */
async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !done(); i++) await new Promise((r) => setTimeout(r, 10));
}

beforeAll(async () => {
  await new Promise<void>((resolve) => engine.listen(socketPath, resolve));
  pki = await issuer.createClusterPki({ clusterId: 'c1', clusterName: 'web', accountName: 'alice', dnsNames: ['web.alice.carina.local'], ipAddresses: ['127.0.0.1'] });
  listener = new ClusterListener({ clusterId: 'c1', clusterName: 'web', account: 'alice', host: '127.0.0.1', port: 0, socketPath, pki, audit: new AuditLog(repo, () => undefined), tlsIdleMs: 300 });
  port = (await listener.listen()).port;
});
afterAll(async () => {
  await listener.close();
  await new Promise((resolve) => engine.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

describe('ClusterListener', () => {
  it('forwards requests with the engine headers and audits only mutating ones', async () => {
    const a = agent(pki);
    expect(await request(a, 'GET', '/_ping')).toEqual({ status: 200, text: 'OK' });
    const body = '{"Image":"x","HostConfig":{"Binds":["data:/data"]}}';
    expect(await request(a, 'POST', '/v1.41/containers/create?name=web', body)).toEqual({ status: 201, text: '{"Id":"abc"}' });
    expect(received.at(-1)).toEqual({ method: 'POST', url: '/v1.41/containers/create?name=web', body });
    await until(() => audited.length > 0);
    expect(audited.map((e) => [e.method, e.path, e.status, e.deniedCode, e.certSerial])).toEqual([['POST', '/v1.41/containers/create?name=web', 201, null, pki.clientSerial]]);
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
