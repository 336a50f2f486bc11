import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ClusterPki } from '../core/types.js';
import { ConnectionCaps } from '../net/connection-caps.js';
import { X509Pki } from '../pki/x509-pki.js';
import { AuditLog } from './audit-log.js';
import { ClusterListener } from './cluster-listener.js';
import { inspectDocument } from './test-support/engine-documents.js';
import { memoryAudit } from './test-support/memory-audit.js';
import { bodyFraming } from './proxy.js';

// What reaches the engine, byte for byte: one client request makes one upstream request, framed by
// the gateway itself, carrying the body the policy checked (re-serialised), and one audit entry.
const dir = mkdtempSync(join(tmpdir(), 'carina-framing-'));
const socketPath = join(dir, 'engine.sock');
let wire = '';
const { repo, entries: audited } = memoryAudit();
const engine = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => res.writeHead(200, { 'Content-Type': 'application/json' }).end(inspectDocument(req.method ?? '', req.url ?? '') ?? '{"Id":"abc"}'));
});
engine.on('connection', (socket) => socket.on('data', (c: Buffer) => (wire += c.toString('latin1'))));

let pki: ClusterPki;
let listener: ClusterListener;
let port = 0;

/** Writes `bytes` on one TLS connection; resolves with the answer once the gateway closes it or goes quiet. */
function raw(bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ca: pki.caCert, cert: pki.clientCert, key: pki.clientKey, servername: 'localhost' }, () => socket.write(bytes));
    let text = '';
    let quiet = setTimeout(() => socket.end(), 400);
    socket.on('data', (c: Buffer) => {
      text += c.toString();
      clearTimeout(quiet);
      quiet = setTimeout(() => socket.end(), 400);
    });
    socket.on('error', reject);
    socket.on('close', () => {
      clearTimeout(quiet);
      resolve(text);
    });
  });
}

const requestLines = () => wire.match(/^[A-Z]+ \S+ HTTP\/1\.1\r$/gm) ?? [];

beforeAll(async () => {
  await new Promise<void>((resolve) => engine.listen(socketPath, resolve));
  pki = await new X509Pki().createClusterPki({ clusterId: 'c1', clusterName: 'web', accountName: 'alice', dnsNames: [], ipAddresses: ['127.0.0.1'] });
  const caps = new ConnectionCaps({ scope: 'the gateway', perAddress: 0, total: 0, log: () => undefined });
  listener = new ClusterListener({ clusterId: 'c1', clusterName: 'web', account: 'alice', host: '127.0.0.1', port: 0, upstream: () => ({ kind: 'unix', socketPath }), pki, audit: new AuditLog(repo, () => undefined), headersTimeoutMs: 15_000, maxConnections: 0, caps });
  port = (await listener.listen()).port;
});
beforeEach(() => {
  wire = '';
});
afterAll(async () => {
  await listener.close();
  await new Promise((resolve) => engine.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

describe('gateway framing', () => {
  it('forwards the checked body re-serialised, with its own Content-Length, never the client bytes', async () => {
    const body = '{ "Image" : "x",\n "HostConfig": {"Memory": 9223372036854775807} }';
    const answer = await raw(`POST /v1.41/containers/create HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`);
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    const sent = '{"Image":"x","HostConfig":{"Memory":9223372036854775807}}';
    expect(wire).toContain(`Content-Length: ${sent.length}\r\n`);
    expect(wire).not.toMatch(/transfer-encoding/i);
    const [create, ...after] = wire.split(/(?=GET \/containers\/abc\/json )/);
    expect(create?.endsWith(`\r\n\r\n${sent}`)).toBe(true);
    // …followed by the oracle's inspect of what the engine stored.
    expect(after.map((r) => r.split('\r\n')[0])).toEqual(['GET /containers/abc/json HTTP/1.1']);
  });

  it.each(['GET', 'DELETE', 'HEAD', 'OPTIONS'])('refuses a %s with a body, and sends nothing upstream', async (method) => {
    const inner = 'POST /containers/create HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}';
    const chunked = await raw(`${method} /v1.41/containers/json HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${inner.length.toString(16)}\r\n${inner}\r\n0\r\n\r\n`);
    expect(chunked).toMatch(/^HTTP\/1\.1 400 /);
    const sized = await raw(`${method} /v1.41/containers/json HTTP/1.1\r\nHost: x\r\nContent-Length: ${inner.length}\r\n\r\n${inner}`);
    expect(sized).toMatch(/^HTTP\/1\.1 400 /);
    expect(wire).toBe('');
  });

  it('streams an unpoliced body with the framing it came with', async () => {
    await raw('PUT /v1.41/containers/abc/archive?path=/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-tar\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n');
    expect(wire).toMatch(/Transfer-Encoding: chunked\r\n/);
    expect(wire.endsWith('\r\n\r\n3\r\nabc\r\n0\r\n\r\n')).toBe(true);
    wire = '';
    await raw('POST /v1.41/images/load HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc');
    expect(wire).toMatch(/Content-Length: 3\r\n/);
    expect(wire.endsWith('\r\n\r\nabc')).toBe(true);
    expect(requestLines()).toHaveLength(1);
  });

  it('gives a POST without a body an explicit empty one', async () => {
    await raw('POST /v1.41/containers/abc/stop HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(wire).toMatch(/^POST \/v1\.41\/containers\/abc\/stop HTTP\/1\.1\r\n[^]*Content-Length: 0\r\n/);
    expect(wire.endsWith('\r\n\r\n')).toBe(true);
  });

  it('answers a pipelined request with a refusal, never a second upstream request', async () => {
    audited.length = 0;
    const answer = await raw('POST /v1.41/containers/a/stop HTTP/1.1\r\nHost: x\r\n\r\nPOST /v1.41/containers/b/kill HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(answer.match(/^HTTP\/1\.1 \d+/gm)).toEqual(['HTTP/1.1 200', 'HTTP/1.1 400']);
    expect(answer).toContain('CARINA-1097');
    expect(requestLines()).toEqual(['POST /v1.41/containers/a/stop HTTP/1.1\r']);
    await new Promise((r) => setTimeout(r, 50));
    expect(audited.map((e) => [e.path, e.status, e.deniedCode]).sort()).toEqual([['/v1.41/containers/a/stop', 200, null], ['/v1.41/containers/b/kill', 400, 'CARINA-1097']]);
  });

  it('refuses an upgrade request pipelined behind an ordinary one, so its bytes never reach the engine as a stream', async () => {
    const body = '{"Detach":false,"Tty":false}';
    const answer = await raw(
      'POST /v1.41/containers/a/stop HTTP/1.1\r\nHost: x\r\n\r\n' +
        `POST /v1.41/exec/e1/start HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    );
    expect(answer).toContain('CARINA-1097');
    expect(answer).not.toMatch(/^HTTP\/1\.1 101/m);
    expect(requestLines()).toEqual(['POST /v1.41/containers/a/stop HTTP/1.1\r']);
  });

  it('serves sequential requests on one keep-alive connection', async () => {
    const first = 'GET /v1.41/version HTTP/1.1\r\nHost: x\r\n\r\n';
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = tls.connect({ host: '127.0.0.1', port, ca: pki.caCert, cert: pki.clientCert, key: pki.clientKey, servername: 'localhost' }, () => socket.write(first));
      let text = '';
      let sentSecond = false;
      socket.on('data', (c: Buffer) => {
        text += c.toString();
        const done = (text.match(/\r\n0\r\n\r\n/g) ?? []).length;
        if (done === 1 && !sentSecond) {
          sentSecond = true;
          socket.write('GET /v1.41/info HTTP/1.1\r\nHost: x\r\n\r\n');
        } else if (done === 2) socket.end();
      });
      socket.on('error', reject);
      socket.on('close', () => resolve(text));
    });
    expect(answer.match(/^HTTP\/1\.1 \d+/gm)).toEqual(['HTTP/1.1 200', 'HTTP/1.1 200']);
  });

  it('refuses transfer codings other than chunked, and what node:http itself refuses', async () => {
    for (const head of [
      'Transfer-Encoding: gzip, chunked',
      'Transfer-Encoding: chunked\r\nContent-Length: 5',
      'X-Folded: a\r\n b',
      'Content-Length: 3\r\nContent-Length: 4',
    ]) {
      const answer = await raw(`POST /v1.41/containers/abc/stop HTTP/1.1\r\nHost: x\r\n${head}\r\n\r\n0\r\n\r\n`);
      expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    }
    expect(wire).toBe('');
  });
});

describe('bodyFraming', () => {
  it.each([
    ['GET', [], { kind: 'none' }],
    ['GET', ['Content-Length', '0'], { kind: 'none' }],
    ['POST', [], { kind: 'none' }],
    ['POST', ['Content-Length', '12'], { kind: 'length', length: '12' }],
    ['PUT', ['Transfer-Encoding', 'Chunked'], { kind: 'chunked' }],
  ] as const)('%s %j', (method, headers, body) => {
    expect(bodyFraming(method, headers)).toEqual({ ok: true, body });
  });

  it.each([
    ['GET', ['Content-Length', '1']],
    ['DELETE', ['Transfer-Encoding', 'chunked']],
    ['POST', ['Transfer-Encoding', 'gzip, chunked']],
  ] as const)('refuses %s %j', (method, headers) => {
    expect(bodyFraming(method, headers).ok).toBe(false);
  });
});
