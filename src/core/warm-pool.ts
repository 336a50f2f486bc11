import type { WarmShell } from './ports.js';

// The warm pool (issue 16, docs/warm-pool.md): clusters built ahead of any request ("shells") — a
// network and node containers with their engines up and the workload image loaded, under an id and
// a port reserved in the store. A create of the same flavor takes one over (its nodes become the
// cluster's: Docker cannot relabel a container, so a shell is built as the future cluster it will
// be), and the keeper builds another. Only on the local engine: with registered hosts it stays empty.

/** One kind of shell the pool keeps: how many nodes of which flavor. */
export interface ShellSpec {
  readonly flavor: string;
  readonly nodeCount: number;
}

/** What one pass of the keeper does. */
export interface PoolPlan {
  /** Shells to reserve and build (one of each spec missing). */
  readonly reserve: readonly ShellSpec[];
  /** Reserved shells not ready yet: built (every step is idempotent, so an interrupted build resumes). */
  readonly build: readonly WarmShell[];
  /** Shells the pool no longer wants, or that stayed unbuilt too long: released and removed. */
  readonly release: readonly WarmShell[];
}

/** A shell not ready this long after it was reserved is given up (its objects removed) and another built. */
export const SHELL_BUILD_GIVE_UP_MS = 5 * 60_000;

/**
 * Parses CARINA_WARM_POOL: comma-separated node counts, each optionally `@flavor` (default: the
 * default flavor), one shell each: "1,3" keeps a 1-node and a 3-node shell; "0" or "" none.
 */
export function parsePoolSpec(text: string, defaultFlavor: string, flavorExists: (name: string) => boolean): ShellSpec[] {
  const specs: ShellSpec[] = [];
  for (const item of text.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const m = /^(\d+)(?:@([\w.-]+))?$/.exec(item);
    if (!m) throw new Error(`CARINA_WARM_POOL: "${item}" is not a node count (optionally @flavor), e.g. "1,3" or "3@container1-4G"`);
    const nodeCount = Number(m[1]);
    const flavor = m[2] ?? defaultFlavor;
    if (!flavorExists(flavor)) throw new Error(`CARINA_WARM_POOL: unknown flavor "${flavor}"`);
    if (nodeCount > 0) specs.push({ flavor, nodeCount });
  }
  return specs;
}

/** Compares the shells the pool should hold with those it holds (pure; `now` in ms). */
export function planPool(wanted: readonly ShellSpec[], shells: readonly WarmShell[], now: number): PoolPlan {
  const release: WarmShell[] = [];
  const kept: WarmShell[] = [];
  for (const s of shells) {
    if (!s.ready && now - s.createdAt.getTime() > SHELL_BUILD_GIVE_UP_MS) release.push(s);
    else kept.push(s);
  }
  // Each wanted spec is matched with one kept shell of that kind; the unmatched kept ones are surplus.
  const unmatched = [...kept];
  const reserve: ShellSpec[] = [];
  for (const spec of wanted) {
    const i = unmatched.findIndex((s) => s.flavor === spec.flavor && s.nodeCount === spec.nodeCount);
    if (i >= 0) unmatched.splice(i, 1);
    else reserve.push(spec);
  }
  release.push(...unmatched);
  const released = new Set(release.map((s) => s.id));
  return { reserve, build: kept.filter((s) => !s.ready && !released.has(s.id)), release };
}

/** Thrown by a create that was to take over a shell another create took first (it then creates cold). */
export class ShellTakenError extends Error {
  constructor(readonly shellId: string) {
    super(`warm shell ${shellId} was taken by another create`);
    this.name = 'ShellTakenError';
  }
}
