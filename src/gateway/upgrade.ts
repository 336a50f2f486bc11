import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { evaluatePolicy, PolicyCode, violationStatus } from '../core/policy.js';
import { audit, pipelined, type Caller, type Endpoint } from './proxy.js';
import { filterHeaders, headerValue, parseTarget, requestHeaders, type RequestTarget } from './request-target.js';
import { rawResponseHead, sendRawError } from './responses.js';
import { execStarted, verifyExec } from './verify-result.js';

/** The only endpoints that hijack the connection: attach (also over websocket) and exec start. */
const UPGRADABLE = [/^\/containers\/[^/]+\/attach(\/ws)?$/i, /^\/exec\/[^/]+\/start$/i];

/**
 * `Connection: Upgrade` requests (attach, exec -it, run -it): the request head is replayed to the
 * manager's engine with node:http's client; once it answers 101 both sockets are piped to each other,
 * each half-closing the other (stdin EOF reaches the container, output still flows back).
 */
export function handleUpgrade(ep: Endpoint, caller: Caller, req: IncomingMessage, socket: Duplex, head: Buffer): void {
  socket.on('error', () => socket.destroy());
  const method = (req.method ?? 'GET').toUpperCase();
  const target = parseTarget(req.url ?? '/');
  const refuse = refuser(ep, caller, method, target, socket);
  if (target.policyPath === undefined || !UPGRADABLE.some((p) => p.test(target.policyPath ?? ''))) {
    return refuse(400, PolicyCode.UPGRADE_NOT_ALLOWED, 'connection upgrade is only possible on attach and exec start');
  }
  if (pipelined(req.socket)) return refuse(400, PolicyCode.BAD_FRAMING, 'pipelined requests are not accepted: send the next request after the answer to this one');
  const decision = evaluatePolicy({ method, path: target.policyPath, query: target.query });
  if (!decision.allowed) return refuse(violationStatus(decision.violation.code), decision.violation.code, decision.violation.message);
  if (headerValue(req.rawHeaders, 'transfer-encoding') !== undefined) {
    return refuse(400, PolicyCode.UNREADABLE_REQUEST, 'send the body of an upgrade request with a Content-Length');
  }
  const length = Number(headerValue(req.rawHeaders, 'content-length') ?? '0');
  if (!Number.isSafeInteger(length) || length < 0 || length > 1024 * 1024) {
    return refuse(400, PolicyCode.UNREADABLE_REQUEST, 'invalid Content-Length on an upgrade request');
  }

  const upgrade: Upgrade = { ep, caller, req, socket, method, target, refuse };
  const exec = execStarted(method, target.policyPath);
  if (exec === undefined) return connect(upgrade, head, length);
  // An exec instance's stored configuration is checked before it starts: it cannot be removed if bad.
  void verifyExec(ep, exec).then((verdict) => {
    if (verdict.ok) connect(upgrade, head, length);
    else refuse(verdict.status, verdict.violation.code, verdict.violation.message);
  });
}

/** One upgrade request as handleUpgrade read it: who sent it, where to, and how to refuse it. */
interface Upgrade {
  readonly ep: Endpoint;
  readonly caller: Caller;
  readonly req: IncomingMessage;
  readonly socket: Duplex;
  readonly method: string;
  readonly target: RequestTarget;
  readonly refuse: (status: number, code: PolicyCode, message: string) => void;
}

/** Replays the request to the engine and, once it switches protocols, splices the two connections. */
function connect({ ep, caller, req, socket, method, target, refuse }: Upgrade, head: Buffer, length: number): void {
  const upgradeHeaders = ['Connection', 'Upgrade', 'Upgrade', headerValue(req.rawHeaders, 'upgrade') ?? 'tcp'];
  const upstream = ep.engine.request({ method, path: target.forward, headers: requestHeaders(req.rawHeaders, [], upgradeHeaders) }, false);
  let rest: Buffer = Buffer.alloc(0);
  upstream.on('upgrade', (up, upSocket, upHead) => {
    audit(ep, caller, method, target, up.statusCode ?? 101, null);
    socket.write(rawResponseHead(up.statusCode ?? 101, up.statusMessage, up.rawHeaders));
    if (upHead.length > 0) socket.write(upHead);
    if (rest.length > 0) upSocket.write(rest);
    splice(socket, upSocket);
  });
  readBody(socket, head, length, (body) => upstream.end(body)).then(
    (r) => {
      rest = r;
    },
    () => upstream.destroy(),
  );
  upstream.on('response', (up) => {
    // The engine answered without upgrading (no such container, …): relay that answer and close.
    audit(ep, caller, method, target, up.statusCode ?? 502, null);
    socket.write(rawResponseHead(up.statusCode ?? 502, up.statusMessage, filterHeaders(up.rawHeaders, ['content-length'], ['Connection', 'close'])));
    up.pipe(socket);
  });
  upstream.on('error', () => {
    if (socket.writable) refuse(502, PolicyCode.ENGINE_UNREACHABLE, `the manager engine of cluster "${ep.clusterName}" is not answering`);
  });
}

/** Audits a refusal and answers it on the handed-over socket. */
function refuser(ep: Endpoint, caller: Caller, method: string, target: RequestTarget, socket: Duplex): Upgrade['refuse'] {
  return (status, code, message) => {
    audit(ep, caller, method, target, status, code);
    sendRawError(socket, status, code, message);
  };
}

/** Reads the `length`-byte body from `head` and then the socket; hands it to `send`, resolves with what followed it. */
function readBody(socket: Duplex, head: Buffer, length: number, send: (body: Buffer) => void): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let buffered = head;
    const done = () => {
      socket.pause();
      socket.off('data', onData);
      socket.off('close', onClose);
      send(buffered.subarray(0, length));
      resolve(buffered.subarray(length));
    };
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length >= length) done();
    };
    const onClose = () => reject(new Error('client went away'));
    if (buffered.length >= length) return done();
    socket.on('data', onData);
    socket.on('close', onClose);
  });
}

/** Pipes two sockets into each other; an end is passed on as a half-close, an error or close tears both down. */
function splice(client: Duplex, engine: Duplex): void {
  (engine as { setNoDelay?: (v: boolean) => void }).setNoDelay?.(true);
  client.pipe(engine);
  engine.pipe(client);
  const teardown = () => {
    client.destroy();
    engine.destroy();
  };
  client.on('error', teardown);
  engine.on('error', teardown);
  client.on('close', () => engine.destroy());
  engine.on('close', () => client.end());
  client.resume();
}
