import { describe, expect, it } from 'vitest';
import { backoffMs, decideFailure, type FailedAttempt, type FailureDecision } from './reconcile-failure.js';

const attempt = (over: Partial<FailedAttempt> = {}): FailedAttempt => ({ status: 'building', failures: 0, engineAvailable: true, cause: 'no space left on device', ...over });
const retry = (failures: number, backoff: number): FailureDecision => ({
  kind: 'retry',
  failures,
  event: { type: 'retry', message: `attempt ${failures} of 8 failed: no space left on device` },
  backoffMs: backoff,
});

// (failed attempt, CARINA_MAX_FAILURES = 8) → what happens next.
const ROWS: readonly (readonly [string, FailedAttempt, FailureDecision])[] = [
  [
    'the host engine does not answer: not counted, the cluster is left alone a while',
    attempt({ failures: 7, engineAvailable: false, cause: 'connect ENOENT /var/run/docker.sock' }),
    { kind: 'engineDown', pauseMs: 1_000, log: 'the host engine does not answer (connect ENOENT /var/run/docker.sock); waiting for it' },
  ],
  ['first failure: retry after 0.5 s', attempt(), retry(1, 500)],
  ['second: 1 s', attempt({ failures: 1 }), retry(2, 1_000)],
  ['fourth: 4 s', attempt({ failures: 3 }), retry(4, 4_000)],
  ['fifth: 8 s', attempt({ failures: 4 }), retry(5, 8_000)],
  ['seventh: still 8 s (the cap)', attempt({ failures: 6 }), retry(7, 8_000)],
  [
    'eighth: error, with the engine message and what to do',
    attempt({ failures: 7 }),
    {
      kind: 'fail',
      failures: 8,
      event: { type: 'retry', message: 'attempt 8 of 8 failed: no space left on device' },
      reason: 'no space left on device (failed 8 times); rebuild the cluster to retry, or delete it',
    },
  ],
  [
    'a delete that keeps failing: error, telling to delete again',
    attempt({ status: 'deleting', failures: 7 }),
    {
      kind: 'fail',
      failures: 8,
      event: { type: 'retry', message: 'attempt 8 of 8 failed: no space left on device' },
      reason: 'no space left on device (failed 8 times); delete it again to retry',
    },
  ],
];

describe('decideFailure: back-off after failures', () => {
  it.each(ROWS)('%s', (_rule, given, expected) => {
    expect(decideFailure(given, 8)).toEqual(expected);
  });

  it('eight attempts take about 30 s of back-off before the error', () => {
    const total = Array.from({ length: 7 }, (_, i) => backoffMs(i + 1)).reduce((a, b) => a + b, 0);
    expect(total).toBe(31_500);
  });

  it('with CARINA_MAX_FAILURES=1 the first failure is the error', () => {
    expect(decideFailure(attempt(), 1).kind).toBe('fail');
  });
});
