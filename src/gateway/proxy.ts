import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Log } from '../core/log.js';
import { pulledImage, pullAuthToInject } from '../core/registry-pull.js';
import { evaluatePolicy, networkReferences, policyNeeds, PolicyCode, violationStatus, type PolicyRequest } from '../core/policy.js';
import type { Telemetry } from '../core/telemetry.js';
import { MUTATING, type AuditLog } from './audit-log.js';
import { pipeCoalesced } from './coalesce.js';
import { lookupNetworks, lookupNodeRole, readPolicyBody } from './policy-inputs.js';
import { headerValue, parseTarget, redactTarget, requestHeaders, filterHeaders, type RequestTarget } from './request-target.js';
import { sendError } from './responses.js';
import type { EngineLink } from './upstream.js';
import { needsStoredCheck } from './stored-check.js';
import { CHECKED_ANSWER_LIMIT, execStarted, verifyExec, verifyResult } from './verify-result.js';

/** One cluster's endpoint as the proxy sees it. */
export interface Endpoint {
  readonly clusterId: string;
  readonly clusterName: string;
  readonly account: string;
  /** The manager's engine: where it answers, over kept-alive connections. */
  readonly engine: EngineLink;
  readonly audit: AuditLog;
  /** Carina's registry and the account's pull credential for it (`X-Registry-Auth`), when there is one. */
  readonly registryPull?: { readonly address: string; readonly header: string } | undefined;
  /** Where each request's outcome is counted (metrics). */
  readonly telemetry: Telemetry;
  /** Where each request's outcome is logged, one line with its id; nowhere when undefined. */
  readonly log?: Log | undefined;
}

/** The account's pull credential when this request pulls from Carina's registry without credentials of its own. */
function injectedAuth(ep: Endpoint, req: IncomingMessage, method: string, target: RequestTarget, body?: unknown): string | undefined {
  if (!ep.registryPull || target.policyPath === undefined) return undefined;
  const image = pulledImage(method, target.policyPath, target.query, body);
  return pullAuthToInject(image, ep.registryPull.address, headerValue(req.rawHeaders, 'x-registry-auth'), ep.registryPull.header);
}

/** Who sent a request: the serial of the client certificate it presented; per request, its id and start. */
export interface Caller {
  readonly serial: string;
  /** This request's id in the log lines about it. */
  readonly requestId?: string;
  /** performance.now() when the request arrived. */
  readonly startedAt?: number;
}

/** Records the outcome of one request: counted, logged, and audited if it was mutating or refused. */
export function audit(ep: Endpoint, caller: Caller, method: string, target: RequestTarget, status: number, deniedCode: string | null): void {
  ep.telemetry.gatewayRequest(deniedCode);
  const logged = ep.log !== undefined;
  if (!logged && !MUTATING.has(method) && deniedCode === null) return;
  // Secrets in the query (registry credentials…) are redacted here as in the audit log.
  const path = redactTarget(target);
  if (logged) logOutcome(ep, caller, method, path, status, deniedCode);
  if (!MUTATING.has(method) && deniedCode === null) return;
  ep.audit.record({ clusterId: ep.clusterId, account: ep.account, method, path, status, certSerial: caller.serial, deniedCode });
}

/** One line per request, when its answer starts (a stream's may last long after): by id, cluster and outcome. */
function logOutcome(ep: Endpoint, caller: Caller, method: string, path: string, status: number, code: string | null): void {
  const ms = caller.startedAt === undefined ? undefined : Math.round((performance.now() - caller.startedAt) * 10) / 10;
  const fields = { reqId: caller.requestId, clusterId: ep.clusterId, account: ep.account, method, path, status, ...(code === null ? {} : { code }), ...(ms === undefined ? {} : { ms }) };
  ep.log?.(`${method} ${path} ${status}${code === null ? '' : ` refused: ${code}`}`, status >= 500 ? { ...fields, level: 'warn' } : fields);
}

function deny(ep: Endpoint, caller: Caller, req: IncomingMessage, res: ServerResponse, target: RequestTarget, code: PolicyCode, message: string, status = violationStatus(code)): void {
  audit(ep, caller, (req.method ?? 'GET').toUpperCase(), target, status, code);
  // Node drains an unread body after the response; an oversized or badly framed one is not worth reading: close instead.
  sendError(res, status, code, message, status === 413 || code === PolicyCode.BAD_FRAMING);
}

/** The latest response on each connection. */
const lastResponse = new WeakMap<object, ServerResponse>();

/**
 * Whether a request arriving on `socket` now was pipelined: sent before the answer to the previous
 * one was complete. A client that waits for answers never sees that, as the gateway has ended a
 * response (`writableEnded`, set synchronously) before any client can have read all of it.
 */
export function pipelined(socket: object): boolean {
  const previous = lastResponse.get(socket);
  return previous !== undefined && !previous.writableEnded;
}

/** Records `res` as its connection's latest response; false when the request was pipelined. */
function admit(req: IncomingMessage, res: ServerResponse): boolean {
  const ok = !pipelined(req.socket);
  lastResponse.set(req.socket, res);
  return ok;
}

/** Policy, then forwarding. Requests whose decision needs no body or lookup take a synchronous fast path. */
export function handleRequest(ep: Endpoint, caller: Caller, req: IncomingMessage, res: ServerResponse): void {
  // The id of this request's log line, on its answer too (merged into the engine's headers or the refusal's).
  if (caller.requestId !== undefined) res.setHeader('X-Request-Id', caller.requestId);
  const method = (req.method ?? 'GET').toUpperCase();
  const target = parseTarget(req.url ?? '/');
  const refuse = (code: PolicyCode, message: string) => deny(ep, caller, req, res, target, code, message);
  if (!admit(req, res)) return refuse(PolicyCode.BAD_FRAMING, 'pipelined requests are not accepted: send the next request after the answer to this one');
  const framing = bodyFraming(method, req.rawHeaders);
  if (!framing.ok) return refuse(PolicyCode.BAD_FRAMING, framing.message);
  if (target.policyPath === undefined) return refuse(PolicyCode.UNREADABLE_REQUEST, 'the request path cannot be decoded');
  const request: PolicyRequest = { method, path: target.policyPath, query: target.query, contentType: headerValue(req.rawHeaders, 'content-type') };
  const needs = policyNeeds(method, target.policyPath);
  const exec = execStarted(method, target.policyPath);
  if (!needs.body && needs.nodeRoleOf === undefined && exec === undefined) {
    const decision = evaluatePolicy(request);
    if (!decision.allowed) refuse(decision.violation.code, decision.violation.message);
    else forward(ep, caller, req, res, target, framing.body, injectedAuth(ep, req, method, target));
    return;
  }
  if (exec !== undefined) {
    const decision = evaluatePolicy(request);
    if (!decision.allowed) return refuse(decision.violation.code, decision.violation.message);
    void verifyExec(ep, exec).then((verdict) => {
      if (!verdict.ok) deny(ep, caller, req, res, target, verdict.violation.code, verdict.violation.message, verdict.status);
      else forward(ep, caller, req, res, target, framing.body);
    });
    return;
  }
  void (async () => {
    const body = await readPolicyBody(req);
    if (!body.ok) return refuse(body.code, body.message);
    const refs = networkReferences(request.path, body.value);
    const [nodeRole, networks] = await Promise.all([
      needs.nodeRoleOf === undefined ? undefined : lookupNodeRole(ep, needs.nodeRoleOf),
      refs.length === 0 ? undefined : lookupNetworks(ep, refs),
    ]);
    const decision = evaluatePolicy({ ...request, body: body.value, nodeRole, networks });
    if (!decision.allowed) return refuse(decision.violation.code, decision.violation.message);
    // What the policy read, re-serialised: never the client's own bytes.
    forward(ep, caller, req, res, target, { kind: 'checked', bytes: body.forward }, injectedAuth(ep, req, method, target, body.value));
  })().catch((e: unknown) => {
    ep.log?.(`gateway failure on ${method} ${redactTarget(target)}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`, { reqId: caller.requestId, clusterId: ep.clusterId, account: ep.account, level: 'error' });
    if (!res.headersSent) sendError(res, 502, PolicyCode.ENGINE_UNREACHABLE, `gateway failure: ${e instanceof Error ? e.message : String(e)}`, true);
    else res.destroy();
  });
}

/**
 * How a request's body is forwarded: checked (the policy's re-serialisation, with its own
 * Content-Length), streamed with the client's length or in chunks, or none at all.
 */
type Body = { readonly kind: 'checked'; readonly bytes: Buffer } | { readonly kind: 'length'; readonly length: string } | { readonly kind: 'chunked' } | { readonly kind: 'none' };

/** Methods whose requests never carry a body to the engine: one sent anyway would reach it unframed, as a request of its own. */
const NO_BODY = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT']);

/** The framing of a request's body as received (node:http already refuses Content-Length with Transfer-Encoding, and repeated lengths). */
export function bodyFraming(method: string, rawHeaders: readonly string[]): { ok: true; body: Body } | { ok: false; message: string } {
  const te = headerValue(rawHeaders, 'transfer-encoding');
  const length = headerValue(rawHeaders, 'content-length');
  if (te !== undefined && te.trim().toLowerCase() !== 'chunked') return { ok: false, message: `transfer coding ${JSON.stringify(te)} is not accepted: send the body with a Content-Length or chunked` };
  const hasBody = te !== undefined || (length !== undefined && length.trim() !== '0');
  if (NO_BODY.has(method)) return hasBody ? { ok: false, message: `a ${method} request must not have a body` } : { ok: true, body: { kind: 'none' } };
  if (te !== undefined) return { ok: true, body: { kind: 'chunked' } };
  return { ok: true, body: length === undefined ? { kind: 'none' } : { kind: 'length', length: length.trim() } };
}

/** Relays the engine's answer to a create or update only once what it stored passed the oracle (see verify-result.ts). */
async function relayVerified(ep: Endpoint, caller: Caller, req: IncomingMessage, res: ServerResponse, target: RequestTarget, up: IncomingMessage): Promise<void> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of up as AsyncIterable<Buffer>) {
    size += chunk.length;
    chunks.push(chunk);
    if (size > CHECKED_ANSWER_LIMIT) break;
  }
  const method = (req.method ?? 'POST').toUpperCase();
  if (size > CHECKED_ANSWER_LIMIT) {
    up.destroy();
    return deny(ep, caller, req, res, target, PolicyCode.ENGINE_UNREACHABLE, 'the engine answered more than a create or update ever does', 502);
  }
  const answer = Buffer.concat(chunks);
  const verdict = await verifyResult(ep, method, target.policyPath ?? '', answer);
  if (!verdict.ok) return deny(ep, caller, req, res, target, verdict.violation.code, verdict.violation.message, verdict.status);
  const status = up.statusCode ?? 502;
  res.writeHead(status, up.statusMessage, filterHeaders(up.rawHeaders, ['content-length'], ['Content-Length', String(answer.length)]));
  audit(ep, caller, method, target, status, null);
  res.end(answer);
}

/** Streams the request to the manager's engine and the response back, each request framed explicitly. */
function forward(ep: Endpoint, caller: Caller, req: IncomingMessage, res: ServerResponse, target: RequestTarget, body: Body, registryAuth?: string): void {
  const method = req.method ?? 'GET';
  // No Accept-Encoding upstream: the engine would gzip archives (cp, save) at ~40 MB/s, far slower than any link.
  // No Expect either: this side already answered 100 Continue and streams the body at once.
  // With Carina's registry, the account's pull credential replaces an empty X-Registry-Auth (proxy: injectedAuth).
  const drop = ['accept-encoding', 'expect', 'content-length', ...(registryAuth === undefined ? [] : ['x-registry-auth'])];
  const framing =
    body.kind === 'checked' ? ['Content-Length', String(body.bytes.length)]
    : body.kind === 'length' ? ['Content-Length', body.length]
    : body.kind === 'chunked' ? ['Transfer-Encoding', 'chunked']
    : NO_BODY.has(method.toUpperCase()) ? [] : ['Content-Length', '0'];
  const headers = requestHeaders(req.rawHeaders, drop, [...framing, ...(registryAuth === undefined ? [] : ['X-Registry-Auth', registryAuth])]);
  const upstream = ep.engine.request({ method, path: target.forward, headers });
  const checked = target.policyPath !== undefined && needsStoredCheck(method, target.policyPath);
  upstream.on('response', (up) => {
    const status = up.statusCode ?? 502;
    up.on('error', () => res.destroy());
    if (checked && status >= 200 && status < 300) {
      void relayVerified(ep, caller, req, res, target, up);
      return;
    }
    res.writeHead(status, up.statusMessage, filterHeaders(up.rawHeaders));
    // Streams (logs -f, events, stats, attach without upgrade) must show their headers before any data.
    if (headerValue(up.rawHeaders, 'content-length') === undefined) res.flushHeaders();
    audit(ep, caller, method.toUpperCase(), target, status, null);
    pipeCoalesced(up, res);
  });
  upstream.on('error', (e: NodeJS.ErrnoException) => {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const unreachable = e.code === 'ENOENT' || e.code === 'ECONNREFUSED';
    const message = unreachable
      ? `the manager engine of cluster "${ep.clusterName}" is not answering: is the cluster active? (GET /v1/clusters/${ep.clusterName})`
      : `the manager engine of cluster "${ep.clusterName}" failed: ${e.message}`;
    audit(ep, caller, method.toUpperCase(), target, 502, PolicyCode.ENGINE_UNREACHABLE);
    sendError(res, 502, PolicyCode.ENGINE_UNREACHABLE, message, true);
  });
  // A client that goes away (docker logs -f ended with ^C) ends the upstream stream too.
  res.on('close', () => {
    if (!res.writableFinished) upstream.destroy();
  });
  if (body.kind === 'checked') upstream.end(body.bytes);
  else if (body.kind === 'none') upstream.end();
  else pipeCoalesced(req, upstream);
}
