import http, { type OutgoingHttpHeaders } from 'node:http';
import https from 'node:https';
import { Socket } from 'node:net';
import tls, { type PeerCertificate } from 'node:tls';

/**
 * The upstream connection's stream buffers: 256 KiB as on the client's side (cluster-listener.ts),
 * instead of 16, so a copy's turn of chunks is written at once rather than paused after 16 KiB.
 */
const STREAM_BUFFER = 256 * 1024;

/**
 * Where a cluster's manager engine answers: its unix socket on this machine (nodes on the local
 * engine), or TCP with mutual TLS (nodes on a registered host: the node engine's port published on
 * that host, the platform's client certificate).
 */
export type Upstream =
  | { readonly kind: 'unix'; readonly socketPath: string }
  | { readonly kind: 'tls'; readonly host: string; readonly port: number; readonly ca: string; readonly cert: string; readonly key: string };

/** One request to the manager engine: what http.request takes, without where to. */
export interface EngineRequest {
  readonly method?: string;
  readonly path: string;
  readonly headers?: OutgoingHttpHeaders | readonly string[];
}

/**
 * How the gateway reaches one cluster's manager engine: where, asked again for every request (the
 * manager may be re-created on another host), over kept-alive connections.
 */
const AGENT = { keepAlive: true, maxFreeSockets: 32 };

export class EngineLink {
  // Made at the first request, dropped when the listener goes idle: ≈ 5.6 KiB a cluster otherwise, idle or not.
  #http: http.Agent | undefined;
  #https: https.Agent | undefined;

  /** `locate` answers undefined while the manager's place is not known yet (requests then fail as unreachable). */
  constructor(readonly locate: () => Upstream | undefined) {}

  /** A link to an engine's unix socket. */
  static unix(socketPath: string): EngineLink {
    const at: Upstream = { kind: 'unix', socketPath };
    return new EngineLink(() => at);
  }

  /** Starts a request to the engine; `keepAlive: false` for a connection of its own (an upgrade). */
  request(options: EngineRequest, keepAlive = true): http.ClientRequest {
    const at = this.locate();
    const headers = options.headers as OutgoingHttpHeaders | undefined; // raw [name, value…] lists are accepted too
    const base = { method: options.method ?? 'GET', path: options.path, headers, highWaterMark: STREAM_BUFFER };
    if (at === undefined) return http.request({ ...base, agent: false, createConnection: unlocated });
    if (at.kind === 'unix') return http.request({ ...base, socketPath: at.socketPath, agent: keepAlive ? (this.#http ??= new http.Agent(AGENT)) : false });
    // The engine's certificate names the address dialled, whatever Host header the request carries (Node would check that one).
    const checkServerIdentity = (_host: string, cert: PeerCertificate) => tls.checkServerIdentity(at.host, cert);
    return https.request({ ...base, host: at.host, port: at.port, ca: at.ca, cert: at.cert, key: at.key, checkServerIdentity, agent: keepAlive ? (this.#https ??= new https.Agent(AGENT)) : false });
  }

  /** Closes the kept-alive connections to the engine (the next request opens one again). */
  destroy(): void {
    this.#http?.destroy();
    this.#https?.destroy();
    this.#http = undefined;
    this.#https = undefined;
  }
}

/** A connection that fails at once as a refused one would: the manager's place is not known yet. */
function unlocated(): Socket {
  const socket = new Socket();
  process.nextTick(() => socket.destroy(Object.assign(new Error('the manager node has not been located yet'), { code: 'ECONNREFUSED' })));
  return socket;
}
