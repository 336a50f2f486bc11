import { createHash, timingSafeEqual } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describeCause, ErrorCode } from '../core/errors.js';
import { errorBody } from '../api/http-errors.js';
import { isLoopbackHost, type MetricsConfig } from '../config/config.js';
import type { PrometheusTelemetry } from './metrics.js';

/** What the endpoint serves: the exposition and its media type. */
export type MetricsSource = Pick<PrometheusTelemetry, 'scrape' | 'contentType'>;

/** A listening metrics endpoint. */
export interface MetricsEndpoint {
  readonly url: string;
  close(): Promise<void>;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * `GET /metrics` on a listener of its own (CARINA_METRICS_LISTEN), apart from the public API: fleet-wide
 * figures are the operator's, not the tenants'. Everything else answers the API's JSON errors.
 */
export async function serveMetrics(source: MetricsSource, config: MetricsConfig, log: (line: string) => void): Promise<MetricsEndpoint> {
  const expected = config.token === undefined ? undefined : digest(`Bearer ${config.token}`);
  const server = http.createServer({ headersTimeout: 10_000, requestTimeout: 10_000 }, (req, res) => {
    void answer(req, res, source, expected, log);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (e) => log(`metrics: listener error: ${e.message}`));
  const { address, port } = server.address() as AddressInfo;
  const url = `http://${address.includes(':') ? `[${address}]` : address}:${port}/metrics`;
  const open = !isLoopbackHost(config.host) && expected === undefined;
  log(`metrics: serving ${url}${expected ? ' (bearer token required)' : ''}${open ? ': WARNING: no CARINA_METRICS_TOKEN, so anyone who reaches this address reads them' : ''}`);
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function answer(req: IncomingMessage, res: ServerResponse, source: MetricsSource, expected: Buffer | undefined, log: (line: string) => void): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  if (path !== '/metrics') return sendError(res, 404, ErrorCode.NOT_FOUND, 'no such endpoint: metrics are at GET /metrics');
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    return sendError(res, 405, ErrorCode.METHOD_NOT_ALLOWED, `${req.method ?? ''} is not allowed here: use GET /metrics`.trimStart());
  }
  // Compared as digests: equal lengths, in constant time.
  if (expected && !timingSafeEqual(digest(req.headers.authorization ?? ''), expected)) {
    res.setHeader('www-authenticate', 'Bearer realm="carina-metrics"');
    return sendError(res, 401, ErrorCode.UNAUTHORIZED, 'send the metrics token (CARINA_METRICS_TOKEN) as Authorization: Bearer <token>');
  }
  try {
    const body = await source.scrape();
    res.writeHead(200, { 'content-type': source.contentType, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : body);
  } catch (e) {
    log(`metrics: scrape failed: ${describeCause(e)}`);
    sendError(res, 500, ErrorCode.INTERNAL, 'the metrics could not be collected; the server log says why');
  }
}

function sendError(res: ServerResponse, status: number, code: ErrorCode, message: string): void {
  const body = JSON.stringify(errorBody(code, message));
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
