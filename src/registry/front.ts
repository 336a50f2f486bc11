import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { namespaceOfRepository } from '../core/registry-access.js';
import { connectionNames, HOP_BY_HOP } from '../net/hop-by-hop.js';
import { serveBlobFile, type BlobFiles } from './blob-file.js';
import { registryError } from './registry-error.js';

/** What the token route answers (the API serves it: authentication lives there). */
export interface TokenAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** Inputs of RegistryFront. */
export interface RegistryFrontOptions {
  readonly listenHost: string;
  readonly port: number;
  readonly tls: { readonly cert: string; readonly key: string };
  /** The docker-registry process on loopback. */
  readonly backendUrl: string;
  /** `GET /token?…` with the client's Authorization, from `client` (its address). */
  readonly token: (authorization: string | undefined, query: string, client: string) => Promise<TokenAnswer>;
  /** Quota and usage of a namespace (undefined: no such account: the registry will refuse it anyway). */
  readonly quota: (namespace: string) => Promise<{ quotaBytes: number; usedBytes: number } | undefined>;
  /** A token that may push to `repository`: for cancelling an upload refused for its quota. */
  readonly pushToken: (repository: string) => Promise<string>;
  /**
   * Blob downloads served by the front itself, from the registry's files, when the bearer token
   * allows pulling that repository and the repository holds the blob; anything else goes to the
   * registry, which answers it (challenges, 404s, ranges) as always. One hop less for the bulk of a pull.
   */
  readonly blobs?: BlobFiles;
  readonly headersTimeoutMs: number;
  readonly log: (line: string) => void;
}

/**
 * A push whose blobs arrived and whose manifest has not: garbage collection must not run under it
 * (its blobs are in no manifest yet). One silent this long was given up by its client.
 */
const OPEN_PUSH_IDLE_MS = 15_000;
/**
 * An upload that sent bytes and was neither completed nor cancelled for this long was given up: its
 * bytes stop counting against the quota, and the front cancels it so no later PATCH can add to them.
 */
const UPLOAD_IDLE_MS = 30 * 60_000;
/**
 * How long one read of a namespace's quota and usage serves the upload requests after it. The read
 * walks the namespace's repositories and stats every blob (0.15–2 s for 100 repositories of 30
 * blobs on a busy 2-core machine), and a push sends three upload requests per layer. Bytes committed
 * through the front since the read are counted on top of it; garbage collection (the only thing
 * that shrinks usage) forgets every read; a new quota and pushed manifests (a few KiB) show at the
 * next read.
 */
const USAGE_READ_MS = 10_000;
const UPLOAD = /^\/v2\/(.+)\/blobs\/uploads(\/[^/]*)?$/;
const MANIFEST = /^\/v2\/(.+)\/manifests\/[^/]+$/;

/** An upload's bytes the registry holds that its storage's usage does not show yet. */
interface PendingUpload {
  readonly namespace: string;
  bytes: number;
  /** Last written; and where it continues (the registry's last Location), to cancel it when given up. */
  at: number;
  location: string | undefined;
}

/** Headers not to pass on: the hop-by-hop ones, and those the message's Connection header names (RFC 9110 7.6.1). */
function hopByHop(headers: IncomingHttpHeaders): (name: string) => boolean {
  const named = new Set(connectionNames(headers.connection));
  return (name) => HOP_BY_HOP.has(name) || named.has(name);
}

/** Sizes for messages. */
function mib(bytes: number): string {
  return bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(2)} GiB` : `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

/**
 * The registry's public face: TLS with the platform's certificate, the token route, and the
 * registry's API passed through to docker-registry on loopback, with what the registry itself
 * cannot do: a per-account storage quota checked while a blob streams in (a push that would pass it
 * is refused before the data is kept), and read-only windows for garbage collection.
 */
export class RegistryFront {
  readonly #opts: RegistryFrontOptions;
  #server: Server | undefined;
  /**
   * Bytes the registry holds for uploads whose blob is not committed yet (streaming in, or waiting in
   * its upload area between PATCHes and the final PUT): the storage's usage does not show them.
   * Keyed by the upload's path (one key per request for an upload without one).
   */
  readonly #pending = new Map<string, PendingUpload>();
  /** Bytes committed (blob PUT done) since the front started, by namespace: what a usage read before it misses. */
  readonly #committed = new Map<string, number>();
  /** The latest quota and usage read per namespace (shared by the requests that start while it runs), and #committed when it started. */
  readonly #usageReads = new Map<string, { readonly read: Promise<{ quotaBytes: number; usedBytes: number } | undefined>; readonly committedAtRead: number; readonly at: number }>();
  #requests = 0;
  /** Repositories with a push under way (blobs sent, manifest not yet), and when they were last written. */
  readonly #openPushes = new Map<string, number>();
  #activeWrites = 0;
  #mode: 'open' | 'draining' | 'closed' = 'open';

  constructor(opts: RegistryFrontOptions) {
    this.#opts = opts;
  }

  async start(): Promise<number> {
    const server = createServer({ cert: this.#opts.tls.cert, key: this.#opts.tls.key, minVersion: 'TLSv1.2' }, (req, res) => {
      this.#handle(req, res).catch((e: unknown) => {
        this.#opts.log(`registry front: ${e instanceof Error ? e.message : String(e)}`);
        registryError(res, 502, 'UNAVAILABLE', 'the registry did not answer; try again');
      });
    });
    server.headersTimeout = this.#opts.headersTimeoutMs;
    server.requestTimeout = 0; // a layer of several GiB takes as long as it takes
    this.#server = server;
    server.listen(this.#opts.port, this.#opts.listenHost);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('listening', resolve);
        server.once('error', reject);
      });
    } catch (e) {
      // Not listening (the address is not on this machine yet, the port is taken): start() may be tried again.
      this.#server = undefined;
      throw e;
    }
    return (server.address() as AddressInfo).port;
  }

  /** Whether start() succeeded and close() has not been called since. */
  get listening(): boolean {
    return this.#server?.listening === true;
  }

  async close(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  /**
   * Runs `work` (garbage collection) in a read-only window: new pushes are refused (503, the
   * docker client retries), pushes under way may finish (their blobs, then their manifest) for up
   * to `drainMs`, then every write is refused until `work` is done.
   */
  async readOnly<T>(work: () => Promise<T>, drainMs = 60_000): Promise<T> {
    if (this.#mode !== 'open') throw new Error('the registry is already in a read-only window');
    this.#mode = 'draining';
    try {
      const deadline = Date.now() + drainMs;
      while (Date.now() < deadline && (this.#activeWrites > 0 || this.#pushesUnderWay() > 0)) await sleep(100);
      this.#mode = 'closed';
      while (this.#activeWrites > 0) await sleep(100); // an upload that was streaming when the window closed
      return await work();
    } finally {
      this.#usageReads.clear(); // garbage collection may have freed storage
      this.#mode = 'open';
    }
  }

  #pushesUnderWay(): number {
    const now = Date.now();
    for (const [repo, at] of this.#openPushes) if (now - at > OPEN_PUSH_IDLE_MS) this.#openPushes.delete(repo);
    return this.#openPushes.size;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://registry.invalid');
    if (url.pathname === '/token') {
      if (req.method !== 'GET' && req.method !== 'HEAD') return registryError(res, 405, 'UNSUPPORTED', 'the token endpoint answers GET');
      const answer = await this.#opts.token(req.headers.authorization, url.search.slice(1), req.socket.remoteAddress ?? 'unknown');
      res.writeHead(answer.status, { ...answer.headers, 'content-length': Buffer.byteLength(answer.body) });
      res.end(answer.body);
      return;
    }
    if (url.pathname !== '/v2' && !url.pathname.startsWith('/v2/')) return registryError(res, 404, 'NOT_FOUND', 'not a registry path: the registry API is under /v2/');
    const write = req.method !== 'GET' && req.method !== 'HEAD';
    if (!write) {
      if (this.#opts.blobs && (await serveBlobFile(req, res, url, this.#opts.blobs))) return;
      return this.#forward(req, res, url);
    }
    const upload = UPLOAD.exec(url.pathname);
    const repository = upload?.[1] ?? MANIFEST.exec(url.pathname)?.[1];
    if (this.#mode === 'closed' || (this.#mode === 'draining' && !(repository !== undefined && this.#openPushes.has(repository)))) {
      return registryError(res, 503, 'UNAVAILABLE', 'the registry is briefly read-only for garbage collection: retry in a few seconds', { 'retry-after': '5' });
    }
    this.#activeWrites++;
    res.once('close', () => this.#activeWrites--);
    if (upload?.[1] !== undefined) return this.#upload(req, res, url, upload[1]);
    await this.#forward(req, res, url, (status) => {
      if (repository !== undefined && req.method === 'PUT' && MANIFEST.test(url.pathname) && status < 300) this.#openPushes.delete(repository);
    });
  }

  /** Bytes of `namespace`'s uploads not committed yet; forgets (and cancels) the ones given up. */
  #pendingBytes(namespace: string): number {
    const now = Date.now();
    let total = 0;
    for (const [key, upload] of this.#pending) {
      if (now - upload.at > UPLOAD_IDLE_MS) {
        this.#pending.delete(key);
        if (upload.location) this.#cancel(new URL(upload.location, 'https://registry.invalid')).catch((e: unknown) => this.#opts.log(`registry front: could not cancel the idle upload ${key}: ${String(e)}`));
      } else if (upload.namespace === namespace) total += upload.bytes;
    }
    return total;
  }

  /**
   * A blob upload request: counted against the namespace's quota as it streams. The room left is
   * the quota less the usage read at the start, less every upload's bytes not committed yet (an
   * earlier PATCH of the same blob included), less what was committed since that read (the read does
   * not show it; one committed while the read runs counts twice: refused early rather than kept).
   */
  async #upload(req: IncomingMessage, res: ServerResponse, url: URL, repository: string): Promise<void> {
    this.#openPushes.set(repository, Date.now());
    const namespace = namespaceOfRepository(repository);
    const uuid = UPLOAD.exec(url.pathname)?.[2];
    const key = uuid && uuid !== '/' ? url.pathname : `${url.pathname}#${++this.#requests}`;
    const usage = this.#usageRead(namespace);
    const quota = await usage.read;
    if (!quota) return this.#forward(req, res, url);
    const declared = Number(req.headers['content-length'] ?? 0);
    const committedSinceRead = () => (this.#committed.get(namespace) ?? 0) - usage.committedAtRead;
    const room = () => quota.quotaBytes - quota.usedBytes - this.#pendingBytes(namespace) - committedSinceRead();
    const refuse = (needed: number) => {
      const used = quota.usedBytes + committedSinceRead();
      return `registry quota exceeded: ${namespace} may store ${mib(quota.quotaBytes)} and uses ${mib(used)}; this push needs more than the ${mib(Math.max(0, quota.quotaBytes - used))} left (at least ${mib(needed)} for this layer). Delete tags you no longer need (carina registry rm) and wait for garbage collection, or ask for a larger quota`;
    };
    if (declared > room()) return registryError(res, 403, 'DENIED', refuse(declared));
    const upload: PendingUpload = this.#pending.get(key) ?? { namespace, bytes: 0, at: Date.now(), location: undefined };
    this.#pending.set(key, upload);
    let refused = false;
    res.once('close', () => {
      const status = res.writableFinished ? res.statusCode : 0;
      if (status === 201) {
        // The blob is in the registry's storage now: usage read from here on shows it.
        this.#committed.set(namespace, (this.#committed.get(namespace) ?? 0) + upload.bytes);
        this.#pending.delete(key);
      } else if (refused || status < 200 || status >= 300 || req.method === 'DELETE' || upload.bytes === 0) {
        // Cancelled, or failed: Distribution refuses to go on with an upload whose last request failed.
        this.#pending.delete(key);
      } else {
        // Waits in the registry's upload area for its next PATCH or its PUT.
        upload.at = Date.now();
      }
    });
    const answered = (_status: number, headers: IncomingHttpHeaders) => {
      if (typeof headers.location === 'string') upload.location = headers.location;
    };
    await this.#forward(req, res, url, answered, (chunk, upstream) => {
      if (refused) return false;
      if (chunk.length > room()) {
        refused = true;
        this.#openPushes.delete(repository); // this push cannot finish
        upstream.destroy();
        req.unpipe();
        res.setHeader('connection', 'close');
        registryError(res, 403, 'DENIED', refuse(upload.bytes + chunk.length));
        res.once('finish', () => req.socket.destroy());
        this.#cancel(url).catch((e: unknown) => this.#opts.log(`registry front: could not cancel the refused upload ${url.pathname}: ${String(e)}`));
        this.#opts.log(`registry: refused a push to ${repository}: quota of ${mib(quota.quotaBytes)} reached`);
        return false;
      }
      upload.bytes += chunk.length;
      upload.at = Date.now();
      this.#openPushes.set(repository, Date.now());
      return true;
    });
  }

  /** The namespace's quota and usage: the read of the last USAGE_READ_MS, or a new one (a failed read is not kept). */
  #usageRead(namespace: string) {
    const cached = this.#usageReads.get(namespace);
    if (cached && Date.now() - cached.at < USAGE_READ_MS) return cached;
    const entry = { read: this.#opts.quota(namespace), committedAtRead: this.#committed.get(namespace) ?? 0, at: Date.now() };
    this.#usageReads.set(namespace, entry);
    entry.read.catch(() => {
      if (this.#usageReads.get(namespace) === entry) this.#usageReads.delete(namespace);
    });
    return entry;
  }

  /** Removes the partial upload a refusal left in the registry's upload area. */
  async #cancel(url: URL): Promise<void> {
    const upload = UPLOAD.exec(url.pathname);
    if (!upload?.[1] || !upload[2] || upload[2] === '/') return;
    const token = await this.#opts.pushToken(upload[1]);
    await fetch(`${this.#opts.backendUrl}${url.pathname}${url.search}`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
  }

  /**
   * Passes a request to docker-registry and its answer back. The Host header stays the client's, so
   * the Location of an upload names the address the client used; `filter` sees each body chunk
   * first and stops the request by answering false.
   */
  #forward(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    done?: (status: number, headers: IncomingHttpHeaders) => void,
    filter?: (chunk: Buffer, upstream: ReturnType<typeof httpRequest>) => boolean,
  ): Promise<void> {
    const headers: IncomingHttpHeaders = {};
    const skip = hopByHop(req.headers);
    for (const [name, value] of Object.entries(req.headers)) if (!skip(name) && !name.startsWith('x-forwarded-')) headers[name] = value;
    headers['x-forwarded-proto'] = 'https';
    headers['x-forwarded-for'] = req.socket.remoteAddress ?? '';
    return new Promise<void>((resolve) => {
      const backend = new URL(this.#opts.backendUrl);
      const upstream = httpRequest({ host: backend.hostname, port: backend.port, method: req.method, path: `${url.pathname}${url.search}`, headers });
      upstream.on('response', (answer) => {
        const out: Record<string, string | string[]> = {};
        const skipAnswer = hopByHop(answer.headers);
        for (const [name, value] of Object.entries(answer.headers)) if (value !== undefined && !skipAnswer(name)) out[name] = value;
        if (!res.headersSent) res.writeHead(answer.statusCode ?? 502, out);
        answer.pipe(res);
        answer.once('end', () => done?.(answer.statusCode ?? 502, answer.headers));
      });
      upstream.on('error', () => {
        if (!res.headersSent) registryError(res, 502, 'UNAVAILABLE', 'the registry did not answer; try again');
        else res.destroy();
      });
      res.once('close', () => {
        upstream.destroy(); // a no-op once it is done; a client gone mid-stream ends it upstream too
        resolve();
      });
      if (!filter) {
        req.pipe(upstream);
        return;
      }
      req.on('data', (chunk: Buffer) => {
        if (!filter(chunk, upstream)) return;
        if (!upstream.write(chunk)) {
          req.pause();
          upstream.once('drain', () => req.resume());
        }
      });
      req.once('end', () => upstream.end());
    });
  }
}
