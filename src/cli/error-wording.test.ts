import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../wire/error-codes.js';
import { cliMessage } from './error-wording.js';
import { apiError } from './http-client.js';

const answer = (status: number, code: string, message: string) => ({
  status,
  headers: new Headers({ 'content-type': 'application/json' }),
  body: Buffer.from(JSON.stringify({ error: { code, message } })),
});

describe('the CLI words errors about what the command named', () => {
  it('by the code and the command\'s own arguments, with the command to run next', () => {
    expect(cliMessage(ErrorCode.CLUSTER_NOT_FOUND, 'no cluster named "x": list yours with GET /v1/clusters', { cluster: 'x' })).toBe(
      'no cluster named "x": list yours with "carina ls"',
    );
    expect(cliMessage(ErrorCode.FLAVOR_NOT_FOUND, 'anything the server says', { flavor: 'huge' })).toBe('unknown flavor "huge": list them with "carina flavors"');
    expect(cliMessage(ErrorCode.NOT_FOUND, 'no such tag', { tag: 'alice/app:1' })).toBe('no tag alice/app:1 in your registry: list yours with "carina registry ls"');
    expect(cliMessage(ErrorCode.NOT_FOUND, 'no such endpoint', {})).toBe('no such endpoint');
  });

  it("keeps the server's message when it has no words of its own, or does not know the subject", () => {
    expect(cliMessage(ErrorCode.QUOTA_EXCEEDED, 'at most 3 nodes per cluster', { cluster: 'x' })).toBe('at most 3 nodes per cluster');
    expect(cliMessage(ErrorCode.CLUSTER_NOT_FOUND, 'cluster 42 not found', {})).toBe('cluster 42 not found');
    expect(cliMessage('CARINA_ERR_SOMETHING_NEW', 'news', { cluster: 'x' })).toBe('news');
  });

  it('applies to API answers, keeping the code and the exit code', () => {
    const e = apiError(answer(404, ErrorCode.CLUSTER_NOT_FOUND, 'no cluster named "web": list yours with GET /v1/clusters'), 'http://x', { cluster: 'web' });
    expect([e.code, e.exitCode, e.message]).toEqual([ErrorCode.CLUSTER_NOT_FOUND, 4, 'no cluster named "web": list yours with "carina ls"']);
  });
});
