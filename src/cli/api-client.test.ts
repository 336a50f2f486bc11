import { describe, expect, it } from 'vitest';
import { ApiClient } from './api-client.js';
import type { HttpClient, RawResponse } from './http-client.js';

/** An HttpClient that answers every request with `{}` (or a page without `next`) and records its method and path. */
function recording(): { api: ApiClient; sent: string[] } {
  const sent: string[] = [];
  const answer = (path: string) => (path.startsWith('/v1/clusters?') || path === '/v1/clusters' ? { clusters: [] } : path.endsWith('/events') ? { events: [] } : { flavors: [] });
  const http = {
    endpoint: 'http://test',
    json: (method: string, path: string) => (sent.push(`${method} ${path}`), Promise.resolve(answer(path))),
    send: (method: string, path: string): Promise<RawResponse> => (sent.push(`${method} ${path}`), Promise.resolve({ status: 204, headers: new Headers(), body: Buffer.alloc(0) } as RawResponse)),
  };
  return { api: new ApiClient(http as unknown as HttpClient), sent };
}

describe("the CLI's requests are the contract's routes (src/wire/routes.ts), named, not written again", () => {
  it('sends each command to its route, parameters as encoded segments', async () => {
    const { api, sent } = recording();
    await api.create({ name: 'web' });
    await api.list();
    await api.get('web');
    await api.grow('web', 2);
    await api.resize('web', 3);
    await api.setAutoscale('web', true);
    await api.rebuild('web');
    await api.events('web', 7);
    await api.usage('web');
    await api.delete('web');
    await api.quotas();
    await api.flavors();
    await api.registry();
    await api.repositories();
    await api.deleteTag('alice/team/app', 'v1.0');
    expect(sent).toEqual([
      'POST /v1/clusters',
      'GET /v1/clusters',
      'GET /v1/clusters/web',
      'POST /v1/clusters/web/grow',
      'PUT /v1/clusters/web/nodes',
      'PUT /v1/clusters/web/autoscale',
      'POST /v1/clusters/web/rebuild',
      'GET /v1/clusters/web/events?after=7',
      'GET /v1/clusters/web/usage',
      'DELETE /v1/clusters/web',
      'GET /v1/quotas',
      'GET /v1/flavors',
      'GET /v1/registry',
      'GET /v1/registry/repositories',
      'DELETE /v1/registry/repositories/alice%2Fteam%2Fapp/tags/v1.0',
    ]);
  });
});
