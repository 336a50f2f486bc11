/** A member of the hosts' swarm as the Engine API lists it (GET /nodes), the fields read here. */
export interface SwarmMember {
  readonly ID: string;
  readonly Version?: { readonly Index?: number };
  readonly Spec?: { readonly Role?: string; readonly Availability?: string } & Record<string, unknown>;
  readonly Description?: { readonly Hostname?: string };
  readonly Status?: { readonly State?: string; readonly Addr?: string };
  readonly ManagerStatus?: { readonly Addr?: string; readonly Reachability?: string };
}

/** A worker host's own view of the swarm (its engine's GET /info, Swarm part). */
export interface WorkerView {
  readonly LocalNodeState?: string;
  readonly Error?: string;
}

/**
 * The manager seats of the hosts' swarm left empty (a lost manager host taken out of it), and the
 * workers that could take them: ready, active workers in address order, so every replica would
 * choose alike. A seat counts as taken only by a member of the managers' Raft (ManagerStatus): a
 * promotion Docker could not carry out leaves a role of manager and no seat.
 */
export function emptySeats(members: readonly SwarmMember[], seats: number): { free: number; candidates: SwarmMember[] } {
  const free = seats - members.filter((m) => m.ManagerStatus !== undefined && m.ManagerStatus !== null).length;
  if (free <= 0) return { free: 0, candidates: [] };
  const candidates = members
    .filter((m) => m.Spec?.Role === 'worker' && m.Status?.State === 'ready' && (m.Spec.Availability ?? 'active') === 'active')
    .sort((a, b) => (a.Status?.Addr ?? '').localeCompare(b.Status?.Addr ?? '', 'en', { numeric: true }));
  return { free, candidates };
}

/**
 * Whether a worker may be promoted now: its swarm component runs without error, and the address it
 * joined the swarm through (hostJoinAddress) is a manager's now. Docker starts a promoted worker's
 * Raft member by dialling its join address first, whatever managers there are by then: measured on
 * these machines, a worker that had joined through the lost host, promoted, stopped in `error`
 * ("can't initialize raft node … dial tcp <lost host>:2377"), stayed so across a restart of its
 * engine, and took the host's swarm networking with it — so such a worker is left a worker.
 */
export function readyToManage(view: WorkerView, joinAddress: string | undefined, managers: ReadonlySet<string>): boolean {
  return view.LocalNodeState === 'active' && (view.Error ?? '') === '' && joinAddress !== undefined && managers.has(joinAddress);
}

/** The addresses (no port) of the members of the managers' Raft. */
export function managerAddresses(members: readonly SwarmMember[]): Set<string> {
  return new Set(members.flatMap((m) => (m.ManagerStatus?.Addr ? [m.ManagerStatus.Addr.replace(/:\d+$/, '')] : [])));
}

/**
 * The manager a host joins the hosts' swarm through: of `managers` (addresses), the one fewest hosts
 * joined through so far (`joined`: the address of each earlier join), the lowest address on a tie;
 * undefined when there is no manager to choose.
 */
export function joinThrough(managers: readonly string[], joined: readonly string[]): string | undefined {
  const count = (address: string) => joined.filter((j) => j === address).length;
  return [...managers].sort((a, b) => count(a) - count(b) || a.localeCompare(b, 'en', { numeric: true }))[0];
}
