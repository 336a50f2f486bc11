import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeAll } from 'vitest';
import { X509Pki } from '../../pki/x509-pki.js';
import { RegistryFront, type RegistryFrontOptions } from '../front.js';

// The registry front's test harness: a real TLS front on 127.0.0.1 before a fake docker-registry
// that answers as Distribution does and records what reached it, and HTTPS requests that can
// stream their bodies. Fronts and backends set up here are closed after each test.

export const KiB = 1024;
export const MiB = 1024 * KiB;

export interface Received {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  bytes: Buffer;
  ended: boolean;
}

/** A stand-in for docker-registry: Distribution's statuses and Location headers; every request and its bytes recorded. */
export class FakeBackend {
  readonly received: Received[] = [];
  /** Bytes of uploads committed by `PUT …?digest=` (what the registry's storage then holds), by namespace. */
  readonly stored = new Map<string, number>();
  readonly #uploads = new Map<string, number>();
  #server: Server | undefined;
  #next = 0;
  url = '';

  async start(): Promise<void> {
    this.#server = createServer((req, res) => {
      const r: Received = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, bytes: Buffer.alloc(0), ended: false };
      this.received.push(r);
      req.on('data', (chunk: Buffer) => (r.bytes = Buffer.concat([r.bytes, chunk])));
      req.on('end', () => {
        r.ended = true;
        this.#answer(r, res);
      });
    });
    this.#server.listen(0, '127.0.0.1');
    await new Promise((resolve) => this.#server?.once('listening', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  #answer(r: Received, res: ServerResponse): void {
    const path = new URL(r.url, 'http://x').pathname;
    const upload = /^\/v2\/(.+)\/blobs\/uploads\/([^/]*)$/.exec(path);
    const common = { 'docker-distribution-api-version': 'registry/2.0', 'content-length': '0' };
    if (r.method === 'POST' && upload) {
      const uuid = `uuid-${++this.#next}`;
      this.#uploads.set(uuid, 0);
      res.writeHead(202, { ...common, location: `/v2/${upload[1]}/blobs/uploads/${uuid}?_state=state-${uuid}`, 'docker-upload-uuid': uuid, range: '0-0' });
    } else if (r.method === 'PATCH' && upload?.[2]) {
      const total = (this.#uploads.get(upload[2]) ?? 0) + r.bytes.length;
      this.#uploads.set(upload[2], total);
      res.writeHead(202, { ...common, location: `/v2/${upload[1]}/blobs/uploads/${upload[2]}?_state=next-${upload[2]}`, range: `0-${total - 1}`, 'docker-upload-uuid': upload[2] });
    } else if (r.method === 'PUT' && upload?.[2]) {
      const total = (this.#uploads.get(upload[2]) ?? 0) + r.bytes.length;
      this.#uploads.delete(upload[2]);
      const namespace = upload[1]?.split('/')[0] ?? '';
      this.stored.set(namespace, (this.stored.get(namespace) ?? 0) + total);
      res.writeHead(201, { ...common, location: `/v2/${upload[1]}/blobs/sha256:0` });
    } else if (r.method === 'PUT' && /\/manifests\//.test(path)) {
      res.writeHead(201, { ...common, 'docker-content-digest': 'sha256:1' });
    } else if (r.method === 'DELETE') {
      res.writeHead(204, common);
    } else {
      const body = JSON.stringify({ ok: true });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), 'proxy-authenticate': 'Basic', 'keep-alive': 'timeout=5', 'x-backend': 'yes' });
      res.end(body);
      return;
    }
    res.end();
  }

  /** Everything the backend received for `method` on paths starting with `prefix`. */
  requests(method: string, prefix = '/'): Received[] {
    return this.received.filter((r) => r.method === method && r.url.startsWith(prefix));
  }

  async close(): Promise<void> {
    this.#server?.closeAllConnections();
    await new Promise((resolve) => this.#server?.close(resolve));
  }
}

export interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export let ca: { caCert: string; caKey: string };
export let tls: { cert: string; key: string };

beforeAll(async () => {
  const pki = new X509Pki();
  ca = await pki.createCa('front-test');
  tls = await pki.issueServerCert(ca, { dnsNames: [], ipAddresses: ['127.0.0.1'] });
});

export const running: Array<{ front: RegistryFront; backend: FakeBackend }> = [];
afterEach(async () => {
  for (const { front, backend } of running.splice(0)) {
    await front.close();
    await backend.close();
  }
});

/** A front on 127.0.0.1:0 before a fresh fake backend; `quota` by namespace (bytes), usage what the backend stored. */
export async function setUp(quotaBytes: number, overrides: Partial<RegistryFrontOptions> = {}) {
  const backend = new FakeBackend();
  await backend.start();
  const pushTokens: string[] = [];
  const log: string[] = [];
  const front = new RegistryFront({
    listenHost: '127.0.0.1',
    port: 0,
    tls,
    backendUrl: backend.url,
    headersTimeoutMs: 5_000,
    log: (line) => log.push(line),
    token: () => Promise.resolve({ status: 500, headers: {}, body: 'unused' }),
    quota: (namespace) => Promise.resolve({ quotaBytes, usedBytes: backend.stored.get(namespace) ?? 0 }),
    pushToken: (repository) => {
      pushTokens.push(repository);
      return Promise.resolve(`push-token-${repository}`);
    },
    ...overrides,
  });
  const port = await front.start();
  running.push({ front, backend });
  return { front, backend, port, pushTokens, log };
}

/**
 * An HTTPS request to the front that can stream its body: `write` sends a chunk, `end` finishes it;
 * `answer` settles with the response (or the error that cut the connection).
 */
export function open(port: number, method: string, path: string, headers: Record<string, string> = {}) {
  const req = httpsRequest({ host: '127.0.0.1', servername: 'localhost', port, method, path, headers, ca: ca.caCert, agent: false });
  let answered = false;
  const answer = new Promise<Answer>((resolve, reject) => {
    req.once('response', (res) => {
      answered = true;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.once('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.once('error', reject);
    });
    req.once('error', reject);
  });
  answer.catch(() => undefined); // awaited by the test when it matters
  return {
    req,
    answer,
    answered: () => answered,
    /** Writes `chunk` and waits until it left (or the request was cut). */
    write: (chunk: Buffer) => new Promise<void>((resolve) => void req.write(chunk, () => resolve())),
    end: (chunk?: Buffer) => {
      req.end(chunk);
      return answer;
    },
  };
}

/** A whole request with a body at once. */
export function send(port: number, method: string, path: string, body?: Buffer, headers: Record<string, string> = {}): Promise<Answer> {
  return open(port, method, path, body ? { 'content-length': String(body.length), ...headers } : headers).end(body);
}

export async function until(condition: () => boolean, what: string, ms = 3_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

export function errorsOf(a: Answer): Array<{ code: string; message: string }> {
  return (JSON.parse(a.body) as { errors: Array<{ code: string; message: string }> }).errors;
}
