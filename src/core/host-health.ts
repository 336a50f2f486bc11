import type { HostState } from './placement.js';

/** What a pass of the host monitor does with one registered host. */
export type HostVerdict =
  /** It answered: record the time. */
  | { readonly kind: 'seen' }
  /** It answered after being declared down: clear its stale nodes, let it take nodes again. */
  | { readonly kind: 'back' }
  /** Silent for longer than allowed: declare it down and move its nodes. */
  | { readonly kind: 'down'; readonly silentMs: number }
  /** Silent, but not for long enough yet (or already down): nothing to do. */
  | { readonly kind: 'wait' };

/**
 * Judges one host from whether its engine answered now: a host is declared down once it has not
 * answered for `downAfterMs` since it last did (or since it was registered, if it never did).
 */
export function judgeHost(
  host: { readonly state: HostState; readonly lastSeenAt: Date | null; readonly createdAt: Date },
  answered: boolean,
  nowMs: number,
  downAfterMs: number,
): HostVerdict {
  if (answered) return host.state === 'down' ? { kind: 'back' } : { kind: 'seen' };
  if (host.state === 'down') return { kind: 'wait' };
  const silentMs = nowMs - (host.lastSeenAt ?? host.createdAt).getTime();
  return silentMs >= downAfterMs ? { kind: 'down', silentMs } : { kind: 'wait' };
}
