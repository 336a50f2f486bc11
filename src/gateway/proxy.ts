import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { evaluatePolicy, networkReferences, policyNeeds, PolicyCode, type PolicyRequest } from '../core/policy.js';
import { MUTATING, type AuditLog } from './audit-log.js';
import { pipeCoalesced } from './coalesce.js';
import { lookupNetworks, lookupNodeRole, readPolicyBody } from './policy-inputs.js';
import { headerValue, parseTarget, redactTarget, requestHeaders, filterHeaders, type RequestTarget } from './request-target.js';
import { sendError } from './responses.js';

/** One cluster's endpoint as the proxy sees it. */
export interface Endpoint {
  readonly clusterId: string;
  readonly clusterName: string;
  readonly account: string;
  /** The manager's engine socket on the host. */
  readonly socketPath: string;
  /** Keep-alive connections to that socket. */
  readonly agent: http.Agent;
  readonly audit: AuditLog;
}

/** Who sent a request: the serial of the client certificate it presented. */
export interface Caller {
  readonly serial: string;
}

/** Records the outcome of one request (mutating ones, and every refusal). */
export function audit(ep: Endpoint, caller: Caller, method: string, target: RequestTarget, status: number, deniedCode: string | null): void {
  if (!MUTATING.has(method) && deniedCode === null) return;
  ep.audit.record({ clusterId: ep.clusterId, account: ep.account, method, path: redactTarget(target), status, certSerial: caller.serial, deniedCode });
}

function deny(ep: Endpoint, caller: Caller, req: IncomingMessage, res: ServerResponse, target: RequestTarget, status: number, code: PolicyCode, message: string): void {
  audit(ep, caller, (req.method ?? 'GET').toUpperCase(), target, status, code);
  // Node drains an unread body after the response; an oversized one is not worth reading: close instead.
  sendError(res, status, code, message, status === 413);
}

/** Policy, then forwarding. Requests whose decision needs no body or lookup take a synchronous fast path. */
export function handleRequest(ep: Endpoint, caller: Caller, req: IncomingMessage, res: ServerResponse): void {
  const method = (req.method ?? 'GET').toUpperCase();
  const target = parseTarget(req.url ?? '/');
  if (target.policyPath === undefined) {
    deny(ep, caller, req, res, target, 400, PolicyCode.UNREADABLE_REQUEST, 'the request path cannot be decoded');
    return;
  }
  const request: PolicyRequest = { method, path: target.policyPath, query: target.query, contentType: headerValue(req.rawHeaders, 'content-type') };
  const needs = policyNeeds(method, target.policyPath);
  if (!needs.body && needs.nodeRoleOf === undefined) {
    const decision = evaluatePolicy(request);
    if (!decision.allowed) deny(ep, caller, req, res, target, 403, decision.violation.code, decision.violation.message);
    else forward(ep, caller, req, res, target, undefined);
    return;
  }
  void (async () => {
    const body = await readPolicyBody(req);
    if (!body.ok) return deny(ep, caller, req, res, target, body.status, body.code, body.message);
    const refs = networkReferences(request.path, body.value);
    const [nodeRole, networks] = await Promise.all([
      needs.nodeRoleOf === undefined ? undefined : lookupNodeRole(ep, needs.nodeRoleOf),
      refs.length === 0 ? undefined : lookupNetworks(ep, refs),
    ]);
    const decision = evaluatePolicy({ ...request, body: body.value, nodeRole, networks });
    if (!decision.allowed) return deny(ep, caller, req, res, target, 403, decision.violation.code, decision.violation.message);
    forward(ep, caller, req, res, target, body.raw);
  })().catch((e: unknown) => {
    if (!res.headersSent) sendError(res, 502, PolicyCode.ENGINE_UNREACHABLE, `gateway failure: ${e instanceof Error ? e.message : String(e)}`, true);
    else res.destroy();
  });
}

/** Streams the request to the manager's engine and the response back, both untouched (a buffered body is re-sent as is). */
function forward(ep: Endpoint, caller: Caller, req: IncomingMessage, res: ServerResponse, target: RequestTarget, body: Buffer | undefined): void {
  const method = req.method ?? 'GET';
  // No Accept-Encoding upstream: the engine would gzip archives (cp, save) at ~40 MB/s, far slower than any link.
  // No Expect either: this side already answered 100 Continue and streams the body at once.
  const drop = ['accept-encoding', 'expect'];
  const headers = body === undefined
    ? requestHeaders(req.rawHeaders, drop)
    : requestHeaders(req.rawHeaders, [...drop, 'content-length'], ['Content-Length', String(body.length)]);
  const upstream = http.request({ socketPath: ep.socketPath, agent: ep.agent, method, path: target.forward, headers });
  upstream.on('response', (up) => {
    const status = up.statusCode ?? 502;
    const responseHeaders = filterHeaders(up.rawHeaders);
    res.writeHead(status, up.statusMessage, responseHeaders);
    // Streams (logs -f, events, stats, attach without upgrade) must show their headers before any data.
    if (headerValue(up.rawHeaders, 'content-length') === undefined) res.flushHeaders();
    audit(ep, caller, method.toUpperCase(), target, status, null);
    up.on('error', () => res.destroy());
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
  if (body !== undefined) upstream.end(body);
  else pipeCoalesced(req, upstream);
}
