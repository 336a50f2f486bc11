import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterService } from '../core/cluster-service.js';
import type { Store } from '../core/ports.js';
import { openStore } from '../store/open-store.js';
import { ROUTES, type RouteContract } from '../wire/routes.js';
import { buildApi } from './app.js';

// The OpenAPI document that /v1/openapi.json serves is generated from the routes Fastify validates and
// serialises with; this checks it says, route by route, what the contract (src/wire/routes.ts) says.

type Json = Record<string, unknown>;
interface Operation {
  summary?: string;
  description?: string;
  security?: unknown;
  parameters?: Array<{ in: string; name: string; required: boolean; description?: string; schema: Json }>;
  requestBody?: { required: boolean; content: { 'application/json': { schema: Json } } };
  responses: Record<string, { content?: Record<string, { schema: Json }> }>;
}

/** The wire schema as OpenAPI 3.0 writes it: plain JSON (TypeBox's symbols dropped), `type: [T, "null"]` as `nullable`. */
function asOpenApi(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(asOpenApi);
  if (schema === null || typeof schema !== 'object') return schema;
  const out: Json = {};
  for (const [key, value] of Object.entries(schema as Json)) out[key] = asOpenApi(value);
  const type: unknown = out.type;
  if (Array.isArray(type) && type.includes('null')) {
    const rest: unknown[] = type.filter((t) => t !== 'null');
    return { ...out, type: rest.length === 1 ? rest[0] : rest, nullable: true };
  }
  return out;
}

/** The parameters OpenAPI lists for an object schema of path or query parameters. */
function parametersOf(where: 'path' | 'query' | 'header', schema: unknown): unknown[] {
  if (schema === undefined) return [];
  const { properties, required = [] } = asOpenApi(schema) as { properties: Record<string, Json>; required?: string[] };
  return Object.entries(properties).map(([name, { description, ...rest }]) => ({
    in: where,
    name,
    required: where === 'path' || required.includes(name),
    schema: rest,
    ...(description === undefined ? {} : { description }),
  }));
}

const openApiPath = (path: string) => path.replace(/:(\w+)/g, '{$1}');
const routes = Object.entries(ROUTES) as Array<[string, RouteContract]>;

describe('the OpenAPI document and the wire contract', () => {
  let store: Store;
  let app: FastifyInstance;
  let paths: Record<string, Record<string, Operation>>;

  beforeAll(async () => {
    store = await openStore({ url: 'sqlite::memory:' });
    app = await buildApi({
      store,
      clusters: {} as ClusterService, // no route is called: only the document is read
      advertiseAddress: '127.0.0.1',
      version: 'test',
      log: () => undefined,
      limits: { headersTimeoutMs: 5_000, requestTimeoutMs: 5_000, maxConnections: 0, maxConnectionsPerAddress: 0 },
    });
    const res = await app.inject({ method: 'GET', url: '/v1/openapi.json' });
    expect(res.statusCode).toBe(200);
    paths = (res.json<{ paths: typeof paths }>()).paths;
  });
  afterAll(async () => {
    await app.close();
    await store.close();
  });

  it('documents exactly the routes of the contract', () => {
    const documented = Object.entries(paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    expect(documented.sort()).toEqual(routes.map(([, r]) => `${r.method} ${openApiPath(r.path)}`).sort());
  });

  it.each(routes)('%s: the same summary, parameters, body and responses', (_name, route) => {
    const op = paths[openApiPath(route.path)]?.[route.method.toLowerCase()];
    expect(op).toBeDefined();
    if (!op) return;
    const { schema } = route;
    expect(op.summary).toBe(schema.summary);
    expect(op.description).toBe(schema.description);
    expect(op.security).toEqual(schema.security);
    const parameters = [...parametersOf('query', schema.querystring), ...parametersOf('path', schema.params), ...parametersOf('header', schema.headers)];
    expect(op.parameters ?? []).toEqual(parameters);
    expect(op.requestBody?.content['application/json'].schema).toEqual(schema.body === undefined ? undefined : asOpenApi(schema.body));
    expect(Object.keys(op.responses).sort()).toEqual([...Object.keys(schema.response), ...(route.file ? ['200'] : [])].sort());
    for (const [status, body] of Object.entries(schema.response)) {
      const expected = (body as { type?: string }).type === 'null' ? undefined : asOpenApi(body);
      expect(op.responses[status]?.content?.['application/json']?.schema, `${route.method} ${route.path} ${status}`).toEqual(expected);
    }
    // A route that streams with Accept: text/event-stream says so, and what its messages carry.
    const stream = op.responses['200']?.content?.['text/event-stream']?.schema;
    expect(stream).toEqual(route.eventStream === undefined ? undefined : { type: 'string', description: route.eventStream });
    // A route that answers a file documents its media type (the credentials bundle: a zip).
    const file = route.file ? op.responses['200']?.content?.[route.file.mediaType]?.schema : undefined;
    expect(file).toEqual(route.file === undefined ? undefined : { type: 'string', format: 'binary', description: route.file.description });
  });
});
