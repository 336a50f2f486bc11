import { randomUUID } from 'node:crypto';
import http from 'node:http';
import net, { type AddressInfo, type Socket } from 'node:net';
import tls, { type TLSSocket } from 'node:tls';
import { performance } from 'node:perf_hooks';
import type { Log } from '../core/log.js';
import { PolicyCode } from '../core/policy.js';
import { NO_TELEMETRY, type Telemetry } from '../core/telemetry.js';
import type { ClusterPki } from '../core/types.js';
import type { ConnectionCaps } from '../net/connection-caps.js';
import { headTimeoutOptions } from '../net/head-timeout.js';
import type { AuditLog } from './audit-log.js';
import { audit, handleRequest, type Caller, type Endpoint } from './proxy.js';
import { normaliseSerial, parseTarget } from './request-target.js';
import { sendError, sendRawError } from './responses.js';
import { handleUpgrade } from './upgrade.js';
import { EngineLink, type Upstream } from './upstream.js';

/** Stream buffers of 256 KiB instead of 16: fewer, larger TLS writes for copies, saves and loads. */
const STREAM_BUFFER = 256 * 1024;
/**
 * A listener without connections for this long drops its TLS server: the OpenSSL context with the
 * cluster's CA and certificates costs ≈ 33 KiB, 33 MiB for 1,000 idle clusters. Its HTTP server and
 * the agents of its engine link go with it (≈ 7.5 KiB more). The next connection makes them again
 * (about a millisecond); an idle cluster keeps only its listening socket.
 */
const TLS_IDLE_MS = 5 * 60_000;

/**
 * The key material a listener serves with: the cluster's CA (to check clients), its server
 * certificate and key, and the serial of the one client certificate let through. Not the CA's key
 * nor the client's: the gateway has no use for them, so it does not keep them in memory.
 */
export type ListenerPki = Pick<ClusterPki, 'caCert' | 'serverCert' | 'serverKey' | 'clientSerial'>;

/** Only the listener's part of a cluster's key material (a copy: the rest of `pki` is not held on to). */
export function listenerPki(pki: ClusterPki): ListenerPki {
  return { caCert: pki.caCert, serverCert: pki.serverCert, serverKey: pki.serverKey, clientSerial: pki.clientSerial };
}

/** What a listener serves: one cluster, on one host address and port. */
export interface ListenerConfig {
  readonly clusterId: string;
  readonly clusterName: string;
  readonly account: string;
  readonly host: string;
  readonly port: number;
  /** Where the cluster's manager engine answers (asked per request: the manager may move). */
  readonly upstream: () => Upstream | undefined;
  readonly pki: ListenerPki;
  readonly audit: AuditLog;
  /** How long without connections before the TLS server is dropped (default TLS_IDLE_MS). */
  readonly tlsIdleMs?: number;
  /** Where each request's outcome goes (one line with its id) and errors of the listening socket after it is bound (EMFILE on accept…). */
  readonly log?: Log;
  /**
   * A client must finish its TLS handshake this long after connecting, then start a request and
   * send its head within this long; a whole request is not bounded (logs -f, attach, events stream).
   */
  readonly headersTimeoutMs: number;
  /** Connections this cluster's port holds at once (0: no cap of its own). */
  readonly maxConnections: number;
  /** Caps every listener of the gateway shares: per client address and in total. */
  readonly caps: ConnectionCaps;
  /** Carina's registry and the account's pull credential (see Endpoint.registryPull). */
  readonly registryPull?: { readonly address: string; readonly header: string } | undefined;
  /** Where requests and the bytes of each connection are counted (metrics; none by default). */
  readonly telemetry?: Telemetry | undefined;
}

/** The connection's caller (none: its certificate was never accepted) with an id and a start time for one request on it. */
function forRequest(caller: Caller | undefined): Caller {
  return { serial: caller?.serial ?? '', requestId: randomUUID(), startedAt: performance.now() };
}

/**
 * One cluster's TLS endpoint: mutual TLS with the cluster's CA and server certificate, then only the
 * cluster's *current* client certificate (by serial) gets through; a rotation cuts older ones at once.
 */
export class ClusterListener {
  /** Accepts TCP connections and hands them to the TLS server, made at the first one. */
  readonly #net: net.Server;
  #tls: tls.Server | undefined;
  #idle: NodeJS.Timeout | undefined;
  /** The HTTP server behind the TLS one: made and dropped with it. */
  #http: http.Server | undefined;
  readonly #engine: EngineLink;
  readonly #callers = new Map<TLSSocket, Caller>();
  /** Every TCP connection, also those still in (or stuck before) the TLS handshake. */
  readonly #raw = new Set<Socket>();
  #pki: ListenerPki;
  #serial: string;
  readonly #endpoint: Endpoint;
  /** Closes a connection over a cap at once; false when it did. */
  readonly #admit: (raw: Socket) => boolean;

  constructor(readonly config: ListenerConfig) {
    this.#pki = config.pki;
    this.#serial = normaliseSerial(config.pki.clientSerial);
    this.#engine = new EngineLink(config.upstream);
    this.#endpoint = { clusterId: config.clusterId, clusterName: config.clusterName, account: config.account, engine: this.#engine, audit: config.audit, registryPull: config.registryPull, telemetry: config.telemetry ?? NO_TELEMETRY, log: config.log };
    // Not half-open before the handshake: a client that leaves then is let go at once, instead of
    // holding its place under the caps until the handshake timeout (#accept allows it after).
    this.#net = net.createServer({ allowHalfOpen: false }, (raw) => this.#connected(raw));
    this.#admit = config.caps.guard(this.#net, `gateway ${config.account}/${config.clusterName}`, config.maxConnections);
  }

  #connected(raw: Socket): void {
    if (!this.#admit(raw)) return;
    // Without TCP_NODELAY a response head flushed before its body meets the client's delayed ACK: 40 ms per request.
    raw.setNoDelay(true);
    this.#raw.add(raw);
    raw.once('close', () => {
      // Counted once it closes: one call per connection, nothing per chunk of a stream.
      this.#endpoint.telemetry.gatewayBytes(raw.bytesRead, raw.bytesWritten);
      this.#raw.delete(raw);
      if (this.#raw.size === 0) this.#idleSoon();
    });
    this.#tlsServer().emit('connection', raw);
  }

  /** The HTTP server the TLS server hands its connections to. */
  #httpServer(): http.Server {
    if (this.#http) return this.#http;
    // No request timeout: a stream lasts as long as the client wants it. The head has its timeout,
    // and so has a kept-alive connection between requests (http's keepAliveTimeout, 5 s).
    const timeouts = { requestTimeout: 0, ...headTimeoutOptions(this.config.headersTimeoutMs) };
    const server = http.createServer({ ...timeouts, noDelay: true, highWaterMark: STREAM_BUFFER }, (req, res) => {
      const caller = forRequest(this.#callers.get(req.socket as TLSSocket));
      if (caller.serial !== this.#serial) {
        audit(this.#endpoint, caller, (req.method ?? 'GET').toUpperCase(), parseTarget(req.url ?? '/'), 401, PolicyCode.REVOKED_CERTIFICATE);
        sendError(res, 401, PolicyCode.REVOKED_CERTIFICATE, this.#revokedMessage(), true);
        return;
      }
      handleRequest(this.#endpoint, caller, req, res);
    });
    server.on('upgrade', (req: http.IncomingMessage, socket: TLSSocket, head: Buffer) => {
      const caller = forRequest(this.#callers.get(socket));
      if (caller.serial !== this.#serial) {
        audit(this.#endpoint, caller, (req.method ?? 'GET').toUpperCase(), parseTarget(req.url ?? '/'), 401, PolicyCode.REVOKED_CERTIFICATE);
        sendRawError(socket, 401, PolicyCode.REVOKED_CERTIFICATE, this.#revokedMessage());
        return;
      }
      handleUpgrade(this.#endpoint, caller, req, socket, head);
    });
    this.#http = server;
    return server;
  }

  #tlsServer(): tls.Server {
    clearTimeout(this.#idle);
    if (this.#tls) return this.#tls;
    const server = tls.createServer({
      ...this.#secureOptions(),
      requestCert: true,
      rejectUnauthorized: true,
      allowHalfOpen: true,
      highWaterMark: STREAM_BUFFER,
      handshakeTimeout: this.config.headersTimeoutMs,
    });
    server.on('secureConnection', (socket) => this.#accept(socket));
    // A client without (or with another cluster's) certificate, or too slow: its handshake failed.
    // Node does not close the socket of a handshake that timed out: that is done here.
    server.on('tlsClientError', (_error, socket) => socket.destroy());
    this.#tls = server;
    // Node checks an http.Server's head timeout only once it listens; this one never does (its
    // connections come from the TLS server), so it is told it does while it has them to check.
    this.#httpServer().emit('listening');
    return server;
  }

  /** Whether the TLS server (and its OpenSSL context) exists now. */
  get tlsLoaded(): boolean {
    return this.#tls !== undefined;
  }

  #idleSoon(): void {
    clearTimeout(this.#idle);
    this.#idle = setTimeout(() => {
      if (this.#raw.size > 0) return;
      this.#tls = undefined;
      this.#http?.close(); // stops the head-timeout check until the next connection
      this.#http = undefined;
      this.#engine.destroy(); // and the kept-alive connections to the engine
    }, this.config.tlsIdleMs ?? TLS_IDLE_MS);
    this.#idle.unref();
  }

  #secureOptions(): tls.SecureContextOptions {
    return { ca: this.#pki.caCert, cert: this.#pki.serverCert, key: this.#pki.serverKey, minVersion: 'TLSv1.2' };
  }

  #revokedMessage(): string {
    return `this client certificate is no longer valid for cluster "${this.config.clusterName}" (its credentials were rotated): download the new credentials bundle (carina env ${this.config.clusterName}, or GET /v1/clusters/${this.config.clusterName}/credentials)`;
  }

  #accept(socket: TLSSocket): void {
    const serial = normaliseSerial(socket.getPeerCertificate().serialNumber ?? '');
    this.#callers.set(socket, { serial });
    socket.once('close', () => this.#callers.delete(socket));
    socket.allowHalfOpen = true; // attach and exec pass a client's half-close through
    this.#httpServer().emit('connection', socket);
  }

  /** Starts listening; rejects when the port cannot be bound. */
  listen(): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.#net.once('error', reject);
      this.#net.listen(this.config.port, this.config.host, () => {
        this.#net.off('error', reject);
        // Unhandled, an 'error' of the bound socket (accept failing: EMFILE…) would end the process.
        this.#net.on('error', (e) => this.config.log?.(`gateway: ${this.config.account}/${this.config.clusterName}: listener error: ${e.message}`));
        resolve(this.#net.address() as AddressInfo);
      });
    });
  }

  /** Takes new key material: new certificates apply to new connections; a new client serial cuts off the old one now. */
  update(pki: ListenerPki): void {
    if (pki.caCert !== this.#pki.caCert || pki.serverCert !== this.#pki.serverCert || pki.serverKey !== this.#pki.serverKey) {
      this.#pki = pki;
      this.#tls?.setSecureContext(this.#secureOptions());
    }
    this.#pki = pki;
    const serial = normaliseSerial(pki.clientSerial);
    if (serial === this.#serial) return;
    this.#serial = serial;
    for (const [socket, caller] of this.#callers) if (caller.serial !== serial) socket.destroy();
  }

  /** Stops listening and drops every connection, including hijacked streams. */
  async close(): Promise<void> {
    clearTimeout(this.#idle);
    this.#tls = undefined;
    const closed = new Promise<void>((resolve) => this.#net.close(() => resolve()));
    for (const socket of this.#callers.keys()) socket.destroy();
    // A client that is still in its handshake would keep close() waiting until the handshake timeout.
    for (const socket of this.#raw) socket.destroy();
    this.#http?.close();
    this.#http = undefined;
    this.#engine.destroy();
    await closed;
  }
}
