import type { TSchema } from '@sinclair/typebox';
import { EVENT_STREAM_TYPE } from '../wire/event-stream.js';
import { ROUTES, type RouteContract, type RouteName } from '../wire/routes.js';

type Schema<K extends RouteName> = (typeof ROUTES)[K]['schema'];

/** Fastify's method, url and schema (validation, response serialisation, OpenAPI) of a route of the contract. */
export function wireRoute<K extends RouteName>(name: K): { method: (typeof ROUTES)[K]['method']; url: (typeof ROUTES)[K]['path']; schema: Schema<K> } {
  const route: RouteContract = ROUTES[name];
  const schema = route.eventStream !== undefined ? withStream(route.schema, route.eventStream) : route.file !== undefined ? withFile(route.schema, route.file) : route.schema;
  return { method: ROUTES[name].method, url: ROUTES[name].path, schema: schema as Schema<K> };
}

/** A 200 that is a file (a Buffer, which Fastify sends as it is): documented with its media type. */
function withFile(schema: RouteContract['schema'], file: NonNullable<RouteContract['file']>): RouteContract['schema'] {
  const ok = { description: 'Success', content: { [file.mediaType]: { schema: { type: 'string', format: 'binary', description: file.description } } } };
  return { ...schema, response: { ...schema.response, 200: ok as unknown as TSchema } };
}

/** A 200 that is JSON, or server-sent events for a client that asks for them (what OpenAPI shows). */
function withStream(schema: RouteContract['schema'], stream: string): RouteContract['schema'] {
  const json = schema.response[200];
  if (json === undefined) throw new Error('an event stream route needs a 200 answer');
  const ok = { description: 'Success', content: { 'application/json': { schema: json }, [EVENT_STREAM_TYPE]: { schema: { type: 'string', description: stream } } } };
  return { ...schema, response: { ...schema.response, 200: ok as unknown as TSchema } };
}
