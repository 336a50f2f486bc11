import { describe, expect, it } from 'vitest';
import { afterConnection, MAX_FAILED_CONNECTS } from './event-follower.js';

describe('what follows a connection to the event stream', () => {
  it('resumes a dropped stream at once', () => {
    expect(afterConnection({ kind: 'ended' }, 0, true)).toEqual({ next: 'connect' });
  });

  it('ends when the cluster is gone: a gone message, or a 404 once a stream was had', () => {
    expect(afterConnection({ kind: 'gone' }, 0, true)).toEqual({ kind: 'gone' });
    expect(afterConnection({ kind: 'refused', status: 404, code: 'CARINA_ERR_CLUSTER_NOT_FOUND' }, 0, true)).toEqual({ kind: 'gone' });
  });

  it('leaves a 404 at the first connection to the polling, which names the missing cluster', () => {
    expect(afterConnection({ kind: 'refused', status: 404, code: 'CARINA_ERR_CLUSTER_NOT_FOUND' }, 0, false)).toMatchObject({ kind: 'unavailable' });
  });

  it('falls back to polling on an older server (JSON) or an error answer', () => {
    expect(afterConnection({ kind: 'not-a-stream' }, 0, false)).toEqual({ kind: 'unavailable', why: 'the server answered without an event stream (older than streams)' });
    expect(afterConnection({ kind: 'refused', status: 503, code: 'CARINA_ERR_STORE_UNAVAILABLE' }, 0, true)).toEqual({
      kind: 'unavailable',
      why: 'the server refused the stream (HTTP 503 CARINA_ERR_STORE_UNAVAILABLE)',
    });
  });

  it('tries an unreachable server again a few times, then falls back', () => {
    for (let n = 1; n < MAX_FAILED_CONNECTS; n += 1) expect(afterConnection({ kind: 'unreachable' }, n, true)).toEqual({ next: 'connect' });
    expect(afterConnection({ kind: 'unreachable' }, MAX_FAILED_CONNECTS, true)).toMatchObject({ kind: 'unavailable' });
  });
});
