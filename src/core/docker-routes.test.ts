import { describe, expect, it } from 'vitest';
import { ambiguousReference, matchRoute, routePattern } from './docker-routes.js';

describe("the engine's route templates", () => {
  it.each([
    ['/containers/{name:.*}/start', '/containers/abc/start', ['abc']],
    ['/containers/{name:.*}/start', '/containers/lnk/alias/start', ['lnk/alias']],
    ['/containers/{name:.*}/start', '/containers/abc/stop', undefined],
    ['/containers/{name:.*}', '/containers/a/b/c', ['a/b/c']],
    ['/services/{id}/update', '/services/abc/update', ['abc']],
    ['/services/{id}/update', '/services/a/b/update', undefined],
    ['/networks/{id:.+}', '/networks/x', ['x']],
    ['/containers/create', '/containers/create', []],
    ['/containers/create', '/containers/createX', undefined],
    ['/build', '/BUILD', []],
  ] as const)('%s on %s', (template, path, expected) => {
    const route = { method: 'POST', template };
    expect(matchRoute(routePattern(template), 'post', route, path)).toEqual(expected);
  });

  it('matches methods exactly, or any with *', () => {
    const pattern = routePattern('/swarm/init');
    expect(matchRoute(pattern, 'GET', { method: 'POST', template: '/swarm/init' }, '/swarm/init')).toBeUndefined();
    expect(matchRoute(pattern, 'GET', { method: '*', template: '/swarm/init' }, '/swarm/init')).toEqual([]);
  });
});

describe('container and exec references', () => {
  it.each([
    ['POST', '/containers/lnk/alias/start', 'lnk/alias'],
    ['POST', '/containers/x/start/exec', 'x/start'],
    ['GET', '/containers/a/b/attach/ws', 'a/b'],
    ['DELETE', '/containers/parent/child', 'parent/child'],
    ['POST', '/exec/a/b/resize', 'a/b'],
    ['PUT', '/containers/-x/archive', '-x'],
  ])('%s %s names %s, which is not a plain reference', (method, path, ref) => {
    expect(ambiguousReference(method, path)).toBe(ref);
  });

  it.each([
    ['POST', '/containers/create'],
    ['POST', '/containers/prune'],
    ['GET', '/containers/json'],
    ['POST', '/containers/my_app.1-x/start'],
    ['GET', '/containers/0123abcd/attach/ws'],
    ['DELETE', '/containers/web'],
    ['POST', '/images/a/b/tag'],
    ['GET', '/volumes/a/b'],
    ['POST', '/exec/0123abcd/start'],
  ])('%s %s is fine', (method, path) => {
    expect(ambiguousReference(method, path)).toBeUndefined();
  });
});
