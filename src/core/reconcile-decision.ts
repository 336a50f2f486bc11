import { formsFirstSwarm, plan, type DesiredCluster, type ObservedCluster, type Plan } from './planner.js';
import { describeRepair, stallReason, waitingWords } from './reconcile-events.js';

/** How long an active cluster may wait on something before it counts as drifted (and is repaired). */
export const REPAIR_WAIT_MS = 5_000;

/** The timings that turn a wait into a repair, a re-formed swarm, or an error. */
export interface ReconcileTimings {
  /** Waiting on one thing longer than this puts the cluster in `error` (CARINA_STALL_TIMEOUT_MS). */
  readonly stallTimeoutMs: number;
  /** How long the manager of an existing cluster must report no swarm before the swarm is re-formed. */
  readonly swarmLossGraceMs: number;
  /** How long an active cluster may wait on something before it is repaired (REPAIR_WAIT_MS). */
  readonly repairWaitMs: number;
}

/** What a cluster's worker carries from one pass to the next (times in ms since the epoch). */
export interface ReconcileMemory {
  /** When the cluster last made progress: a batch applied, or something new to wait for. */
  readonly progressAt: number;
  /** What it has waited for since `progressAt` ('' after a batch). */
  readonly waitingFor: string;
  /** Since when the manager of an existing cluster has reported no swarm; null while it has one. */
  readonly swarmLostAt: number | null;
}

/** The next step: the planner's (act, wait, done), or give up and put the cluster in `error`. */
export type Step = Plan | { readonly kind: 'fail'; readonly reason: string };

/** What one pass decided: a repair to announce (or null), the next step, and what to remember. */
export interface Decision {
  /** The active cluster drifted: move it to `rebuilding` with a `repair` event giving this reason. */
  readonly repair: string | null;
  readonly step: Step;
  readonly memory: ReconcileMemory;
}

/** The memory of a worker that starts on a cluster at `now` (the swarm loss outlives workers). */
export function startMemory(now: number, swarmLostAt: number | null): ReconcileMemory {
  return { progressAt: now, waitingFor: '', swarmLostAt };
}

/** The memory after a batch of actions was applied at `now`: the stall clock starts again. */
export function progressed(memory: ReconcileMemory, now: number): ReconcileMemory {
  return { ...memory, progressAt: now, waitingFor: '' };
}

/**
 * Pure reconcile decision for one pass over a cluster: the planner's next step, held back while the
 * swarm-loss grace runs, a repair when an active cluster drifted, an error when a wait stalled.
 */
export function decide(cluster: DesiredCluster, observed: ObservedCluster, now: number, memory: ReconcileMemory, timings: ReconcileTimings): Decision {
  const held = holdSwarmInit(cluster, plan(cluster, observed), now, memory.swarmLostAt, timings.swarmLossGraceMs);
  const repair = repairReason(cluster, held.next, now - memory.progressAt, timings.repairWaitMs);
  let next: ReconcileMemory = { ...memory, swarmLostAt: held.swarmLostAt };
  if (held.next.kind !== 'wait') return { repair, step: held.next, memory: next };
  // A new thing to wait for is progress; the same one for too long is a stall.
  if (held.next.reason !== memory.waitingFor) next = { ...next, waitingFor: held.next.reason, progressAt: now };
  if (now - next.progressAt > timings.stallTimeoutMs) {
    return { repair, step: { kind: 'fail', reason: stallReason(timings.stallTimeoutMs, held.next.reason) }, memory: next };
  }
  return { repair, step: held.next, memory: next };
}

/**
 * Re-forming a swarm loses its services, so a manager of an existing cluster that reports no swarm
 * must do so for a while (it does briefly while its engine shuts down) before the swarm is re-formed.
 */
function holdSwarmInit(cluster: DesiredCluster, next: Plan, now: number, lostAt: number | null, graceMs: number): { next: Plan; swarmLostAt: number | null } {
  // Forcing a new raft from the last manager is held as long: a leader may be elected in the meantime.
  const force = next.kind === 'act' && next.actions.some((a) => a.type === 'forceNewCluster');
  const wantsInit = force || (next.kind === 'act' && next.actions.some((a) => a.type === 'swarmInit'));
  if (!wantsInit) return { next, swarmLostAt: null };
  if (formsFirstSwarm(cluster.status) && !force) return { next, swarmLostAt: lostAt };
  const since = lostAt ?? now;
  if (now - since >= graceMs) return { next, swarmLostAt: since };
  return { next: { kind: 'wait', reason: force ? 'the swarm to elect a leader again (its quorum is lost)' : 'the manager to report its swarm again' }, swarmLostAt: since };
}

/** An active cluster with work to do drifted (a node died, was removed, left the swarm): say why. */
function repairReason(cluster: DesiredCluster, next: Plan, sinceProgressMs: number, repairWaitMs: number): string | null {
  if (cluster.status !== 'active' || next.kind === 'done') return null;
  if (next.kind === 'act') return describeRepair(next.actions);
  return sinceProgressMs > repairWaitMs ? waitingWords(next.reason) : null;
}
