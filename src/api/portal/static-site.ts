import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { dirname, extname, join, posix, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { routeOf } from '../../wire/portal-routes.js';

/** Headers of every portal page and asset: no inline script or style, no framing, no sniffing. */
export const PAGE_SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-security-policy': [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; '),
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
});

/** `web/dist` of this package, found by walking up from this module (works from src/ and dist/). */
export function defaultWebRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return join(dir, 'web', 'dist');
}

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>Carina</title>
<h1>The Carina portal is not built</h1><p>Run <code>npm run build</code> (or <code>npm run build:web</code>) and reload. The API under <code>/v1</code> works without it.</p>`;

/**
 * Serves the built single-page app from `root` at `/`: its files, and index.html for the app's pages
 * (src/wire/portal-routes.ts); any other path is the API's JSON 404 (`/v1/…` misspelt is not a page).
 * This decides which file answers a path; @fastify/static sends it (type, length, ETag, ranges).
 */
export async function registerStaticSite(app: FastifyInstance, root: string): Promise<void> {
  const base = resolve(root);
  await app.register(fastifyStatic, {
    root: base,
    // The routes below choose the file: only portal paths, and index.html for the app's own routes.
    serve: false,
    // Set per file below: hashed assets forever, the rest revalidated at every load.
    cacheControl: false,
    suppressWarning: true, // web/dist may be built after the server starts (until then: 503 below)
    setHeaders: (reply, path) => {
      // RFC 9239's type for JavaScript (the mime table @fastify/send reads still says application/javascript).
      if (extname(path) === '.js') void reply.header('content-type', 'text/javascript; charset=utf-8');
    },
  });

  const send = (reply: FastifyReply, file: string) => {
    const immutable = file.startsWith(join(base, 'assets') + sep);
    return reply
      .headers(PAGE_SECURITY_HEADERS)
      .header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
      .sendFile(relative(base, file).split(sep).join('/'));
  };

  const isFile = async (path: string) => (await stat(path).catch(() => undefined))?.isFile() === true;

  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const pathname = request.url.split('?')[0] ?? '/';
    if (routeOf(pathname).page !== 'missing') {
      const index = join(base, 'index.html');
      if (!(await isFile(index))) return reply.status(503).headers(PAGE_SECURITY_HEADERS).type('text/html; charset=utf-8').send(NOT_BUILT);
      return send(reply, index);
    }
    // Not a page: a file of the build, named plainly (no `..`, `//`), or the API's JSON 404.
    let decoded: string;
    try {
      decoded = decodeURIComponent(pathname);
    } catch {
      return reply.callNotFound();
    }
    const file = resolve(base, `.${decoded}`);
    if (posix.normalize(decoded) === decoded && file.startsWith(base + sep) && (await isFile(file))) return send(reply, file);
    return reply.callNotFound();
  };

  app.get('/', { schema: { hide: true } }, handler);
  app.get('/*', { schema: { hide: true } }, handler);
}
