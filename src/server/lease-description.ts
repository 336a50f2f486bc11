import type { Lease } from '../core/ports.js';

/** `carina-server leader`'s line: who leads since when, or that nobody does (and what that means). */
export function describeLease(lease: Lease | undefined, now: Date): string {
  if (!lease) return 'no replica leads: none is running, or the last one stopped cleanly (the next to start leads at once)';
  const left = Math.round((lease.expiresAt.getTime() - now.getTime()) / 1000);
  if (left <= 0) {
    return `no replica leads: ${lease.holder}'s lease expired ${-left} s ago (it stopped or cannot reach the store); a running standby takes over at its next check`;
  }
  return `${lease.holder} leads since ${lease.acquiredAt.toISOString()} (lease renewed until ${lease.expiresAt.toISOString()}, ${left} s from now)`;
}
