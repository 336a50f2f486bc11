import { describe, expect, it } from 'vitest';
import { clusterHref, REGISTRY_HREF, routeOf } from './router';

describe('routes', () => {
  it('maps paths to pages', () => {
    expect(routeOf('/')).toEqual({ page: 'clusters' });
    expect(routeOf('/new')).toEqual({ page: 'new' });
    expect(routeOf(REGISTRY_HREF)).toEqual({ page: 'registry' });
    expect(routeOf('/registry/')).toEqual({ page: 'registry' });
    expect(routeOf('/clusters/my.c-1')).toEqual({ page: 'cluster', name: 'my.c-1' });
    expect(routeOf(clusterHref('a b'))).toEqual({ page: 'cluster', name: 'a b' });
    expect(routeOf('/nope/x')).toEqual({ page: 'missing', path: '/nope/x' });
    expect(routeOf('/clusters/%E0%A4%A')).toEqual({ page: 'missing', path: '/clusters/%E0%A4%A' });
  });
});
