import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PAGE_SECURITY_HEADERS, registerStaticSite } from './static-site.js';

// The portal app as a browser loads it, from a built tree in a temporary directory.
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A Fastify app serving `files` (path → content) as the built portal; unknown routes answer a JSON 404 as the API's do. */
async function site(files: Record<string, string>): Promise<FastifyInstance> {
  const root = mkdtempSync(join(tmpdir(), 'carina-site-'));
  dirs.push(root);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  const app = Fastify();
  app.setNotFoundHandler((_request, reply) => reply.status(404).send({ error: { code: 'CARINA_ERR_NOT_FOUND' } }));
  app.get('/v1/known', () => ({ ok: true }));
  await registerStaticSite(app, root);
  return app;
}

const expectSecurityHeaders = (headers: Record<string, unknown>) => {
  for (const [name, value] of Object.entries(PAGE_SECURITY_HEADERS)) expect(headers[name], name).toBe(value);
};

describe('the portal app', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await site({ 'index.html': '<div id="root"></div>', 'assets/index-AbC123.js': 'console.log(1)', 'favicon.svg': '<svg/>' });
  });

  it('answers / and every client route with index.html, revalidated at each load, with the security headers', async () => {
    for (const url of ['/', '/clusters/c1', '/clusters/c1/', '/new?x=1', '/registry', '/registry/']) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.body).toBe('<div id="root"></div>');
      expectSecurityHeaders(res.headers);
    }
    const head = await app.inject({ method: 'HEAD', url: '/clusters/c1' });
    expect(head.statusCode).toBe(200);
    expect(head.body).toBe('');
  });

  it('serves hashed assets as immutable for a year, other files revalidated', async () => {
    const script = await app.inject({ method: 'GET', url: '/assets/index-AbC123.js' });
    expect(script.statusCode).toBe(200);
    expect(script.body).toBe('console.log(1)');
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(script.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expectSecurityHeaders(script.headers);
    const icon = await app.inject({ method: 'GET', url: '/favicon.svg' });
    expect(icon.headers['content-type']).toBe('image/svg+xml');
    expect(icon.headers['cache-control']).toBe('no-cache');
    expectSecurityHeaders(icon.headers);
  });

  it('answers a missing file with the JSON 404, never the app', async () => {
    const res = await app.inject({ method: 'GET', url: '/assets/missing.js' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ error: { code: 'CARINA_ERR_NOT_FOUND' } });
  });

  it('answers the app only for its pages: an API path, misspelt or not, and any other path are JSON 404s', async () => {
    const others = ['/assets', '/nope', '/clusters', '/clusters/a/b', '/V1/clusters', '//v1/clusters', '/v1%2fclusters', '/api/v1/clusters', '/v1/..%2findex.html', '/assets/..%2findex.html'];
    for (const url of ['/v1', '/v1/nothing', '/v1/nothing.js', '/healthz/x', ...others]) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(404);
      expect(res.json(), url).toEqual({ error: { code: 'CARINA_ERR_NOT_FOUND' } });
    }
    expect((await app.inject({ method: 'GET', url: '/v1/known' })).json()).toEqual({ ok: true });
  });

  it('serves nothing outside its directory', async () => {
    for (const url of ['/%2e%2e/%2e%2e/%2e%2e/etc/passwd', '/..%2f..%2f..%2fetc%2fpasswd', '/assets/..%2f..%2f..%2fetc/hostname']) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.body, url).not.toContain('root:');
      expect([200, 404], url).toContain(res.statusCode);
      if (res.statusCode === 200) expect(res.body, url).toBe('<div id="root"></div>');
    }
  });

  it('says how to build the portal while it is not built (the API works without it)', async () => {
    const empty = await site({});
    const res = await empty.inject({ method: 'GET', url: '/' });
    expect(res.statusCode).toBe(503);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.body).toContain('npm run build');
    expectSecurityHeaders(res.headers);
    expect((await empty.inject({ method: 'GET', url: '/v1/known' })).statusCode).toBe(200);
  });
});
