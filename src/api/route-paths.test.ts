import { describe, expect, it } from 'vitest';
import { API_PATHS, routePath } from '../wire/route-paths.js';
import { ROUTES } from '../wire/routes.js';

describe('routePath: a route named, not written again', () => {
  it('fills each parameter as one URL-encoded segment', () => {
    expect(routePath(ROUTES.growCluster, { name: 'web' })).toBe('/v1/clusters/web/grow');
    expect(routePath(ROUTES.getCluster, { name: 'a b?' })).toBe('/v1/clusters/a%20b%3F');
    expect(routePath(ROUTES.deleteTag, { repository: 'alice/team/app', tag: 'v1.0' })).toBe('/v1/registry/repositories/alice%2Fteam%2Fapp/tags/v1.0');
  });

  it('gives a route without parameters its path', () => {
    expect(routePath(ROUTES.quotas)).toBe('/v1/quotas');
  });

  it('fails rather than send a path with a parameter left in (a path the compiler could not read)', () => {
    const path: string = ROUTES.deleteTag.path;
    expect(() => routePath({ path })).toThrow('no value for :repository of /v1/registry/repositories/:repository/tags/:tag');
  });
});

describe('the clients’ route names (route-paths.ts, without the schemas) and the contract', () => {
  it('name the same routes with the same methods and paths', () => {
    expect(Object.keys(API_PATHS).sort()).toEqual(Object.keys(ROUTES).sort());
    for (const [name, route] of Object.entries(ROUTES)) expect({ method: route.method, path: route.path }).toEqual(API_PATHS[name as keyof typeof API_PATHS]);
  });
});
