import { setTimeout as sleep } from 'node:timers/promises';
import { describeCause } from '../core/errors.js';

/**
 * Docker's answer to a join that took longer than its own 20 s (moby daemon/cluster: the join
 * goes on in the background). A manager joining a raft group that just lost a member, on a busy
 * machine, gets it while the join still succeeds a moment later.
 */
const JOIN_CONTINUES = /Timeout was reached before node joined/i;

/** How long a join that Docker continues in the background is waited for, by default. */
export const BACKGROUND_JOIN_WAIT_MS = 60_000;

export interface JoiningEngine {
  /** POST /swarm/join. */
  join(): Promise<unknown>;
  /** The engine's `Swarm.LocalNodeState` (inactive, pending, active, error, locked) and its `Swarm.Error`. */
  state(): Promise<{ readonly state: string; readonly error?: string | undefined }>;
}

/**
 * Joins the swarm and returns once the engine is an active member. A join Docker reports as continuing
 * in the background is waited for (up to `waitMs`): its end, not the engine's first answer, says whether
 * it worked, so the join is neither reported as failed (and retried over a join in progress) nor as done
 * before it is.
 */
export async function joinSwarm(engine: JoiningEngine, waitMs = BACKGROUND_JOIN_WAIT_MS, pollMs = 500): Promise<void> {
  try {
    await engine.join();
    return;
  } catch (e) {
    if (!JOIN_CONTINUES.test(describeCause(e))) throw e;
  }
  const deadline = Date.now() + waitMs;
  for (;;) {
    const { state, error } = await engine.state();
    if (state === 'active') return;
    if (state === 'error' || state === 'inactive') throw new Error(`the join Docker continued in the background ended ${state}${error ? `: ${error}` : ''}`);
    if (Date.now() >= deadline) throw new Error(`the join Docker continued in the background had not completed after ${Math.round(waitMs / 1000)} s more (swarm state ${state})`);
    await sleep(pollMs);
  }
}
