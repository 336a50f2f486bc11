import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyRequest } from 'fastify';
import swagger from '@fastify/swagger';
import { CarinaError, ErrorCode } from '../core/errors.js';
import type { RegistryService } from '../core/registry-service.js';
import type { ClusterService } from '../core/cluster-service.js';
import { checkHealth } from '../core/health.js';
import type { Log } from '../core/log.js';
import type { Store } from '../core/ports.js';
import type { Telemetry } from '../core/telemetry.js';
import { SESSION_LIMITS, SessionService } from '../core/session-service.js';
import type { Account } from '../core/types.js';
import { Authenticator } from './authenticator.js';
import { clientErrorHandler, frameworkErrors, plainUtf8Bodies, quoted } from './framework-errors.js';
import { errorBody, httpMessage, httpStatusOf } from './http-errors.js';
import { ROUTES, type RouteContract } from '../wire/routes.js';
import { registerClusterRoutes } from './cluster-routes.js';
import { EVENT_FEED_DEFAULTS, EventFeed } from './event-feed.js';
import { registerEventRoutes } from './event-routes.js';
import { registerRegistryRoutes, registerRegistryTokenRoute } from './registry-routes.js';
import { registerPortal } from './portal/portal-plugin.js';
import { ConnectionCaps } from '../net/connection-caps.js';
import { headTimeoutOptions } from '../net/head-timeout.js';
import { requestId } from './request-id.js';

declare module 'fastify' {
  interface FastifyRequest {
    account: Account | undefined;
  }
}

/** What the API is built from. */
export interface ApiDeps {
  /** The port the API's own services are built on (authentication, portal sessions, the health check); no route reads it. */
  readonly store: Store;
  readonly clusters: ClusterService;
  /** The private registry; undefined when this server runs none (its routes answer REGISTRY_UNAVAILABLE). */
  readonly registry?: RegistryService | undefined;
  /** Host written into endpoints and bundles. */
  readonly advertiseAddress: string;
  readonly version: string;
  /** Lines about the API as a whole (connection caps, event streams, failed requests with their `reqId`). */
  readonly log: Log;
  /** Fastify's own logger (pino): one line per answered request, with its id (`reqId`); none when undefined. */
  readonly logger?: FastifyBaseLogger | undefined;
  readonly limits: ApiLimits;
  /** Serve HTTPS with this certificate and key (PEM); plain HTTP without. */
  readonly tls?: { readonly cert: string; readonly key: string } | undefined;
  /** Proxies (addresses or CIDRs) whose X-Forwarded-For/-Proto are believed; none by default. */
  readonly trustProxy?: readonly string[] | undefined;
  /** Where each answer is counted (metrics); none when undefined. */
  readonly telemetry?: Telemetry | undefined;
  /** How event streams poll the store and how often they send heartbeats; EVENT_FEED_DEFAULTS when undefined. */
  readonly eventStreams?: { readonly pollMs: number; readonly heartbeatMs: number } | undefined;
}

/** How long a client may take and how many connections it may hold; a cap of 0 is none. */
export interface ApiLimits {
  /** A request's head must have arrived this long after its first byte. */
  readonly headersTimeoutMs: number;
  /** A whole request (head and body) must have arrived by then; a connection idle this long is closed. */
  readonly requestTimeoutMs: number;
  /** Connections open at once, from everyone. */
  readonly maxConnections: number;
  /** Connections open at once from one client address. */
  readonly maxConnectionsPerAddress: number;
}

const BODY_LIMIT = 64 * 1024;

/**
 * The longest path parameter any route of the contract accepts (a repository name's 255). Fastify's
 * router refuses longer ones before routing; at its default of 100 it refused names the contract allows.
 */
const MAX_PARAM_LENGTH = Math.max(
  ...(Object.values(ROUTES) as RouteContract[]).flatMap(({ schema }) =>
    Object.values((schema.params as { properties?: Record<string, { maxLength?: number }> } | undefined)?.properties ?? {}).map((p) => p.maxLength ?? 0),
  ),
);

/** Builds the HTTP API (not listening yet). */
export async function buildApi(deps: ApiDeps): Promise<FastifyInstance> {
  const { limits } = deps;
  const serverOptions = { requestTimeout: limits.requestTimeoutMs, ...headTimeoutOptions(limits.headersTimeoutMs) };
  const app = Fastify({
    bodyLimit: BODY_LIMIT,
    ...(deps.logger ? { loggerInstance: deps.logger } : { logger: false }),
    // One line per request, written once it is answered (below), instead of Fastify's two; its id as `reqId`.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'reqId' }),
    // Each request's id: the client's X-Request-Id when it is a safe token, else a new one; answered in X-Request-Id.
    requestIdHeader: false,
    genReqId: (req) => requestId(req.headers['x-request-id']),
    // Bodies are small: a client that trickles a request (or says nothing) is cut, not waited for.
    connectionTimeout: limits.requestTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    ...(deps.tls
      ? { https: { ...serverOptions, cert: deps.tls.cert, key: deps.tls.key, minVersion: 'TLSv1.2' as const, handshakeTimeout: limits.headersTimeoutMs } }
      : { http: serverOptions }),
    // Client addresses (the key-guessing throttle) and the scheme come from the proxies named, from no one else.
    trustProxy: deps.trustProxy && deps.trustProxy.length > 0 ? [...deps.trustProxy] : false,
    // Reject what the schemas don't describe instead of silently dropping or coercing it.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: true, allErrors: false } },
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // What the router and Node's parser refuse is answered in the API's shape too (./framework-errors.ts).
    frameworkErrors: frameworkErrors(MAX_PARAM_LENGTH),
    clientErrorHandler,
  });
  const caps = new ConnectionCaps({ scope: 'the API', perAddress: limits.maxConnectionsPerAddress, total: 0, log: deps.log });
  const admit = caps.guard(app.server, 'api', limits.maxConnections);
  app.server.prependListener('connection', admit);
  const auth = new Authenticator(deps.store);
  const events = new EventFeed(deps.store.events, { ...EVENT_FEED_DEFAULTS, ...deps.eventStreams, log: deps.log });
  // Before the server waits for its connections to end: open streams would hold it for ever.
  app.addHook('preClose', (done) => {
    events.close();
    done();
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'Carina API', version: deps.version, description: 'Docker Swarm clusters as a service.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' }, basic: { type: 'http', scheme: 'basic' } } },
      security: [{ bearer: [] }, { basic: [] }],
    },
  });

  app.decorateRequest('account', undefined);
  // First, so every answer carries it, refusals included: what a client quotes to find its request's log lines.
  app.addHook('onRequest', (request, reply, done) => {
    void reply.header('x-request-id', request.id);
    done();
  });
  app.addHook('onRequest', plainUtf8Bodies);
  // By path, not the query; the health checks' polling only at debug.
  app.addHook('onResponse', (request, reply, done) => {
    const path = request.url.split('?')[0] ?? '';
    const fields = { method: request.method, path, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10 };
    const line = `${request.method} ${path} ${reply.statusCode} (${fields.ms} ms)`;
    if (path === '/healthz' && reply.statusCode < 500) request.log.debug(fields, line);
    else request.log.info(fields, line);
    done();
  });
  // By route pattern (never the path itself, which names tenants' clusters) and status; a hook only when metrics are on.
  const telemetry = deps.telemetry;
  if (telemetry) {
    app.addHook('onResponse', (request, reply, done) => {
      telemetry.httpRequest(request.method, request.routeOptions.url, reply.statusCode, reply.elapsedTime / 1000);
      done();
    });
  }
  // Over HTTPS (directly, or through a trusted proxy), browsers are told never to try plain HTTP again.
  app.addHook('onSend', async (request, reply) => {
    if (request.protocol === 'https') void reply.header('strict-transport-security', 'max-age=31536000');
  });
  app.setErrorHandler((error: FastifyError | CarinaError, request, reply) => {
    const { status, code, message } = mapError(error);
    // A stack for what nobody expected; one line for the known conditions (no registry, store out).
    if (status >= 500) deps.log(`api: ${request.method} ${request.url}: ${error instanceof CarinaError && error.code !== ErrorCode.INTERNAL ? `${error.code}: ${error.message}` : (error.stack ?? error.message)}`, { reqId: request.id, level: 'error' });
    const retryAfter = error instanceof CarinaError ? error.details?.retryAfterSeconds : undefined;
    if (typeof retryAfter === 'number') void reply.header('retry-after', String(retryAfter));
    void reply.status(status).send(errorBody(code, message));
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).send(errorBody(ErrorCode.NOT_FOUND, `no such endpoint: ${quoted(request.method, 20)} ${quoted(request.url.split('?')[0] ?? '')}; see /v1/openapi.json`));
  });

  // The portal: sessions, the web app at `/`, and the session cookie as an alternative credential.
  const sessions = new SessionService({ repository: deps.store.sessions, accounts: deps.store.accounts, ...SESSION_LIMITS, now: Date.now });
  const portal = await registerPortal(app, { sessions, auth });
  const requireAccount = async (request: FastifyRequest): Promise<void> => {
    request.account = (await portal.sessionAccount(request)) ?? (await auth.authenticate(request.headers.authorization, request.ip));
  };

  // Anyone may ask, so it says nothing but "up" (which replica leads: carina-server leader).
  app.get('/healthz', { schema: { hide: true } }, async () => {
    await checkHealth(deps.store);
    return { status: 'ok' };
  });
  registerRegistryTokenRoute(app, deps.registry, auth);
  app.get('/v1/openapi.json', { schema: { hide: true } }, () => app.swagger());
  // An encapsulated plugin, so the account hook guards these routes only (their paths are the contract's).
  await app.register((v1, _opts, done) => {
    v1.addHook('onRequest', requireAccount);
    registerClusterRoutes(v1, deps);
    registerEventRoutes(v1, deps.clusters, events);
    registerRegistryRoutes(v1, deps.registry);
    done();
  });
  return app;
}

/** Maps any error to the status, stable code and message the client sees; never a stack trace. */
function mapError(error: FastifyError | CarinaError): { status: number; code: string; message: string } {
  if (error instanceof CarinaError) return { status: httpStatusOf(error.code), code: error.code, message: httpMessage(error) };
  if (error.validation) {
    const where = error.validationContext ?? 'request';
    return { status: 400, code: ErrorCode.VALIDATION, message: `invalid ${where}: ${error.message.replace(/^(body|params|querystring)\/?/, '')}` };
  }
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, code: ErrorCode.PAYLOAD_TOO_LARGE, message: `request body larger than ${BODY_LIMIT} bytes` };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 415, code: ErrorCode.UNSUPPORTED_MEDIA_TYPE, message: 'send JSON with Content-Type: application/json' };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { status: 400, code: ErrorCode.BAD_REQUEST, message: error.message };
  }
  if (error instanceof SyntaxError || error.statusCode === 400) {
    return { status: 400, code: ErrorCode.BAD_REQUEST, message: `malformed JSON body: ${error.message}` };
  }
  if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
    return { status: error.statusCode, code: ErrorCode.BAD_REQUEST, message: error.message };
  }
  return { status: 500, code: ErrorCode.INTERNAL, message: 'internal error; the server log has the details' };
}
