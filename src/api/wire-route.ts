import { ROUTES, type RouteName } from '../wire/routes.js';

/** Fastify's method, url and schema (validation, response serialisation, OpenAPI) of a route of the contract. */
export function wireRoute<K extends RouteName>(name: K): { method: (typeof ROUTES)[K]['method']; url: (typeof ROUTES)[K]['path']; schema: (typeof ROUTES)[K]['schema'] } {
  const route = ROUTES[name];
  return { method: route.method, url: route.path, schema: route.schema };
}
