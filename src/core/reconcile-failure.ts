import { attemptEvent, failureReason, type EventLine } from './reconcile-events.js';
import type { ClusterStatus } from './types.js';

/** How long to leave a cluster alone while the host engine does not answer (then the next pass tries again). */
export const ENGINE_DOWN_PAUSE_MS = 1_000;

/** A failed attempt (observing the engine, or an action) of a cluster's current step. */
export interface FailedAttempt {
  readonly status: ClusterStatus;
  /** Failed attempts recorded before this one. */
  readonly failures: number;
  /** Whether the host engine answers at all. */
  readonly engineAvailable: boolean;
  /** The failure in one line (the engine's message). */
  readonly cause: string;
}

/** What a failed attempt leads to: nothing counted (the host engine is down), a retry after a back-off, or `error`. */
export type FailureDecision =
  | { readonly kind: 'engineDown'; readonly pauseMs: number; readonly log: string }
  | { readonly kind: 'retry'; readonly failures: number; readonly event: EventLine; readonly backoffMs: number }
  | { readonly kind: 'fail'; readonly failures: number; readonly event: EventLine; readonly reason: string };

/** Back-off before the attempt after `failures` failed ones: 0.5 s, doubling, at most 8 s (8 attempts ≈ 30 s). */
export function backoffMs(failures: number): number {
  return Math.min(500 * 2 ** (failures - 1), 8_000);
}

/** Pure back-off policy: the `maxFailures`-th failed attempt in a row puts the cluster in `error`. */
export function decideFailure(attempt: FailedAttempt, maxFailures: number): FailureDecision {
  if (!attempt.engineAvailable) {
    // The host engine itself is down or restarting: not this cluster's fault; try again later.
    return { kind: 'engineDown', pauseMs: ENGINE_DOWN_PAUSE_MS, log: `the host engine does not answer (${attempt.cause}); waiting for it` };
  }
  const failures = attempt.failures + 1;
  const event = attemptEvent(failures, maxFailures, attempt.cause);
  if (failures >= maxFailures) return { kind: 'fail', failures, event, reason: failureReason(attempt.status, attempt.cause, failures) };
  return { kind: 'retry', failures, event, backoffMs: backoffMs(failures) };
}
