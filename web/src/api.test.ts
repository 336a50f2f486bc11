import { describe, expect, it, vi } from 'vitest';
import { ApiError, createApi, NETWORK_ERROR } from './api';

const dropped = () => Promise.reject(new TypeError('Failed to fetch'));
const answer = (status: number, body: unknown) => Promise.resolve(new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } }));

function apiWith(fetch: ReturnType<typeof vi.fn>, onUnauthorized = vi.fn()) {
  return createApi({ csrfToken: () => 'tok', onUnauthorized, fetch: fetch as unknown as typeof globalThis.fetch, readRetryDelaysMs: [0, 0] });
}

describe('the portal API client', () => {
  it('tries a read again when the request was dropped on the way, and answers what the server said', async () => {
    const fetch = vi.fn().mockImplementationOnce(dropped).mockImplementationOnce(() => answer(200, { name: 'web1' }));
    await expect(apiWith(fetch).get('/v1/clusters/web1')).resolves.toEqual({ name: 'web1' });
    expect(fetch).toHaveBeenCalledTimes(2);
  });

  it('gives up on a read after two retries with the "cannot reach" error', async () => {
    const fetch = vi.fn(dropped);
    const error = await apiWith(fetch).download('/v1/clusters/web1/credentials').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 0, code: NETWORK_ERROR });
    expect((error as ApiError).message).toMatch(/cannot reach the Carina server/);
    expect(fetch).toHaveBeenCalledTimes(3);
  });

  it('never repeats a write: the first one may have arrived', async () => {
    const fetch = vi.fn(dropped);
    await expect(apiWith(fetch).send('POST', '/v1/clusters/web1/grow', { nodes: 1 })).rejects.toMatchObject({ code: NETWORK_ERROR });
    expect(fetch).toHaveBeenCalledTimes(1);
  });

  it('does not retry an answer, only a dropped request: errors carry the stable code, and 401 ends the session', async () => {
    const onUnauthorized = vi.fn();
    const fetch = vi
      .fn()
      .mockImplementationOnce(() => answer(409, { error: { code: 'CARINA_ERR_CONFLICT', message: 'a cluster named web1 exists' } }))
      .mockImplementationOnce(() => answer(401, { error: { code: 'CARINA_ERR_UNAUTHENTICATED', message: 'sign in again' } }));
    const api = apiWith(fetch, onUnauthorized);
    await expect(api.send('POST', '/v1/clusters', { name: 'web1' })).rejects.toMatchObject({ status: 409, code: 'CARINA_ERR_CONFLICT' });
    expect(fetch.mock.calls[0]?.[1]).toMatchObject({ headers: { 'x-csrf-token': 'tok' } });
    await expect(api.get('/v1/clusters')).rejects.toMatchObject({ status: 401 });
    expect(fetch).toHaveBeenCalledTimes(2);
    expect(onUnauthorized).toHaveBeenCalledOnce();
  });
});
