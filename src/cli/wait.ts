import { formatDuration } from './args.js';
import { CliCode, CliError } from './errors.js';
import type { Cluster } from './types.js';

/** What `--wait` waits for: the cluster active with every node Ready, or the cluster gone. */
export type WaitGoal = 'active' | 'gone';

/** The verdict on one observation (`undefined` = the cluster no longer exists). */
export type WaitVerdict = { readonly state: 'done' } | { readonly state: 'pending' } | { readonly state: 'failed'; readonly reason: string };

/** Decides whether a wait is over, from one observation of the cluster. */
export function judge(goal: WaitGoal, cluster: Cluster | undefined): WaitVerdict {
  if (!cluster) return goal === 'gone' ? { state: 'done' } : { state: 'failed', reason: 'the cluster was deleted meanwhile' };
  if (cluster.status === 'error') return { state: 'failed', reason: cluster.status_reason ?? 'no reason given' };
  if (goal === 'active' && cluster.status === 'active' && cluster.nodes_ready === cluster.nodes) return { state: 'done' };
  return { state: 'pending' };
}

/** The progress text: `demo: building, 1/2 nodes Ready, 3s`. */
export function progressText(name: string, cluster: Cluster | undefined, elapsedMs: number): string {
  if (!cluster) return `${name}: deleted, ${formatDuration(elapsedMs)}`;
  const ready = cluster.nodes_ready ?? 0;
  return `${name}: ${cluster.status}, ${ready}/${cluster.nodes} nodes Ready, ${formatDuration(elapsedMs)}`;
}

/** How long to sleep before the next poll: quick at first, then at most every 2 s. */
export function pollDelay(elapsedMs: number): number {
  if (elapsedMs < 10_000) return 250;
  if (elapsedMs < 60_000) return 1000;
  return 2000;
}

/** What a wait loop needs from the outside world. */
export interface WaitDeps {
  /** The cluster now, or undefined when it is gone (404). */
  readonly observe: () => Promise<Cluster | undefined>;
  readonly onProgress: (cluster: Cluster | undefined, elapsedMs: number) => void;
  readonly sleep: (ms: number) => Promise<void>;
  readonly now: () => number;
  /** How long to wait before the next observation; `pollDelay` unless said (a stream wakes the wait sooner). */
  readonly delay?: (elapsedMs: number) => number;
}

/**
 * Polls until the goal is reached (returns the last observation), the cluster fails (exit 1 with
 * the reason), or `timeoutMs` passes (exit 7 naming the status reached). Never sleeps first.
 */
export async function waitFor(name: string, goal: WaitGoal, timeoutMs: number, deps: WaitDeps): Promise<Cluster | undefined> {
  const start = deps.now();
  for (;;) {
    const cluster = await deps.observe();
    const elapsed = deps.now() - start;
    deps.onProgress(cluster, elapsed);
    const verdict = judge(goal, cluster);
    if (verdict.state === 'done') return cluster;
    if (verdict.state === 'failed') {
      throw new CliError(CliCode.CLUSTER_FAILED, `cluster ${name} failed: ${verdict.reason}`);
    }
    if (elapsed >= timeoutMs) {
      const where = cluster ? `status "${cluster.status}", ${cluster.nodes_ready ?? 0}/${cluster.nodes} nodes Ready` : 'deleted';
      throw new CliError(
        CliCode.TIMEOUT,
        `gave up waiting for ${name} after ${formatDuration(elapsed)} (${where}); it may still get there: ` +
          `check "carina get ${name}" or "carina events ${name}", or wait longer with --timeout`,
      );
    }
    await deps.sleep(Math.min((deps.delay ?? pollDelay)(elapsed), Math.max(0, timeoutMs - elapsed)));
  }
}
