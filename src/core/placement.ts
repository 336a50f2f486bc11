import type { Flavor } from './flavors.js';

// placeNodes chooses the hosts of new nodes (ClusterService) and of a lost host's nodes (HostMonitor);
// chooseManagers is not used yet (a cluster's one swarm manager is node 0).

/** What the control plane may do with a Docker host: place nodes (`ready`), only keep them (`draining`), nothing (`down`). */
export type HostState = 'ready' | 'draining' | 'down';

/** Every host state, for the store's checks. */
export const HOST_STATES: readonly HostState[] = Object.freeze(['ready', 'draining', 'down']);

/** A node already on a host: its cluster and its flavor's reservation (CPU in nanoCPUs, as the engine counts it). */
export interface PlacedNode {
  readonly clusterId: string;
  readonly nanoCpus: number;
  readonly memoryBytes: number;
}

/** A Docker host as placement sees it: its state, what it can give, and the nodes it holds. */
export interface PlacementHost {
  readonly name: string;
  readonly state: HostState;
  readonly allocatableNanoCpus: number;
  readonly allocatableMemoryBytes: number;
  readonly nodes: readonly PlacedNode[];
}

/** How far reservations may exceed what a host has: 1.0 promises no more than there is. */
export interface Overcommit {
  readonly cpu: number;
  readonly memory: number;
}

/**
 * Defaults: memory 1.0, since memory cannot be shared (an overcommitted host kills nodes); CPU 4.0,
 * since a node's vCPUs are a ceiling (`NanoCpus`, a CFS quota), not a guarantee, most nodes idle, and
 * CPU is compressible: an overcommitted host slows its nodes down, never kills them (OpenStack Nova
 * starts at 4.0 to 16.0 for the same reason).
 */
export const DEFAULT_OVERCOMMIT: Overcommit = Object.freeze({ cpu: 4, memory: 1 });

/**
 * The pool as placement sees it, from the stored hosts and every placed node with its cluster's
 * flavor (one pass, grouped by host). A node whose flavor is no longer offered reserves as much as the
 * largest flavor: placement may refuse too soon, never overcommit.
 */
export function placementPool(
  hosts: readonly Omit<PlacementHost, 'nodes'>[],
  placed: readonly { readonly host: string; readonly clusterId: string; readonly flavor: string }[],
  flavors: readonly Flavor[],
): PlacementHost[] {
  const byName = new Map(flavors.map((f) => [f.name, f]));
  const largest = { vcpus: Math.max(0, ...flavors.map((f) => f.vcpus)), memoryBytes: Math.max(0, ...flavors.map((f) => f.memoryBytes)) };
  const nodes = new Map<string, PlacedNode[]>(hosts.map((h) => [h.name, []]));
  for (const p of placed) {
    const f = byName.get(p.flavor) ?? largest;
    nodes.get(p.host)?.push({ clusterId: p.clusterId, nanoCpus: f.vcpus * 1e9, memoryBytes: f.memoryBytes });
  }
  return hosts.map((h) => ({
    name: h.name,
    state: h.state,
    allocatableNanoCpus: h.allocatableNanoCpus,
    allocatableMemoryBytes: h.allocatableMemoryBytes,
    nodes: nodes.get(h.name) ?? [],
  }));
}

/** New nodes of one cluster to place. */
export interface PlacementRequest {
  readonly clusterId: string;
  readonly count: number;
  readonly flavor: Flavor;
  readonly overcommit?: Overcommit;
}

/** Why a host took no more of the nodes asked for, or how many it could take. */
export interface HostRoom {
  readonly name: string;
  readonly state: HostState;
  /** Nodes of the flavor that would fit (0 unless ready). */
  readonly room: number;
  /** What is left (never below 0) after the overcommitted capacity minus reservations. */
  readonly freeNanoCpus: number;
  readonly freeMemoryBytes: number;
}

/** Every new node's host (in the order of the new nodes), or a refusal saying what is missing; never a part. */
export type PlacementOutcome =
  | { readonly ok: true; readonly hosts: readonly string[] }
  | { readonly ok: false; readonly needed: number; readonly fits: number; readonly rooms: readonly HostRoom[]; readonly message: string };

/** At most this many hosts are named in a refusal; the rest are counted. */
const NAMED_HOSTS = 5;

interface Candidate {
  readonly name: string;
  freeCpu: number;
  freeMemory: number;
  room: number;
  /** Nodes of the cluster being placed already on this host. */
  mine: number;
}

/**
 * Places `count` nodes of a cluster on hosts, all or none. Only `ready` hosts take nodes; a host's
 * capacity is allocatable × overcommit − reservations. Soft anti-affinity: each node goes to the host
 * with the fewest nodes of this cluster, then the most room (nodes of this flavor that still fit),
 * then the most free memory, then the first name; so nodes share a host only when no other has room.
 */
export function placeNodes(hosts: readonly PlacementHost[], request: PlacementRequest): PlacementOutcome {
  const overcommit = request.overcommit ?? DEFAULT_OVERCOMMIT;
  checkRatio('cpu', overcommit.cpu);
  checkRatio('memory', overcommit.memory);
  const cpu = request.flavor.vcpus * 1e9;
  const memory = request.flavor.memoryBytes;
  const rooms: HostRoom[] = [];
  const candidates: Candidate[] = [];
  let fits = 0;
  // One pass over every placed node: each host's reservations and this cluster's count on it.
  for (const host of hosts) {
    let reservedCpu = 0;
    let reservedMemory = 0;
    let mine = 0;
    for (const n of host.nodes) {
      reservedCpu += n.nanoCpus;
      reservedMemory += n.memoryBytes;
      if (n.clusterId === request.clusterId) mine++;
    }
    const freeCpu = Math.max(0, Math.floor(host.allocatableNanoCpus * overcommit.cpu) - reservedCpu);
    const freeMemory = Math.max(0, Math.floor(host.allocatableMemoryBytes * overcommit.memory) - reservedMemory);
    const room = host.state === 'ready' ? roomFor(freeCpu, freeMemory, cpu, memory) : 0;
    rooms.push({ name: host.name, state: host.state, room, freeNanoCpus: freeCpu, freeMemoryBytes: freeMemory });
    fits += room;
    if (room > 0) candidates.push({ name: host.name, freeCpu, freeMemory, room, mine });
  }
  if (fits < request.count) {
    return { ok: false, needed: request.count, fits, rooms, message: refusal(request, fits, rooms) };
  }
  const chosen: string[] = [];
  for (let i = 0; i < request.count; i++) {
    let best: Candidate | undefined;
    for (const c of candidates) if (c.room > 0 && (best === undefined || before(c, best))) best = c;
    // fits ≥ count guarantees a candidate with room for every node.
    if (best === undefined) throw new Error('placement: room was counted but not found');
    best.freeCpu -= cpu;
    best.freeMemory -= memory;
    best.room -= 1;
    best.mine += 1;
    chosen.push(best.name);
  }
  return { ok: true, hosts: chosen };
}

/** Whether `a` is a better host than `b` for the next node. */
function before(a: Candidate, b: Candidate): boolean {
  if (a.mine !== b.mine) return a.mine < b.mine;
  if (a.room !== b.room) return a.room > b.room;
  if (a.freeMemory !== b.freeMemory) return a.freeMemory > b.freeMemory;
  return a.name < b.name;
}

function roomFor(freeCpu: number, freeMemory: number, cpu: number, memory: number): number {
  const byCpu = cpu > 0 ? Math.floor(freeCpu / cpu) : Number.MAX_SAFE_INTEGER;
  const byMemory = memory > 0 ? Math.floor(freeMemory / memory) : Number.MAX_SAFE_INTEGER;
  return Math.min(byCpu, byMemory);
}

function checkRatio(what: string, ratio: number): void {
  if (!Number.isFinite(ratio) || ratio <= 0) throw new RangeError(`the ${what} overcommit ratio must be a positive number, not ${ratio}`);
}

const GiB = 1024 ** 3;
const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const gib = (bytes: number) => `${Number((bytes / GiB).toFixed(1))} GiB`;
const vcpus = (nanoCpus: number) => {
  const n = Number((nanoCpus / 1e9).toFixed(2));
  return `${n} vCPU${n === 1 ? '' : 's'}`;
};

/** E.g. `needs 3 nodes of container1-4G (4 GiB, 2 vCPUs each); 1 fits: h1 has room for 1, h2 has 2.5 GiB of memory free, h3 is draining`. */
function refusal(request: PlacementRequest, fits: number, rooms: readonly HostRoom[]): string {
  const { flavor } = request;
  const cpu = flavor.vcpus * 1e9;
  const need = `needs ${request.count} node${request.count === 1 ? '' : 's'} of ${flavor.name} (${gib(flavor.memoryBytes)}, ${vcpus(cpu)} each)`;
  if (rooms.length === 0) return `${need}; 0 fit: no host is registered`;
  // Hosts with room first, then the fullest reasons last: what an operator would look at first.
  const order = (r: HostRoom) => (r.room > 0 ? 0 : r.state === 'ready' ? 1 : r.state === 'draining' ? 2 : 3);
  const sorted = [...rooms].sort((a, b) => order(a) - order(b) || b.room - a.room || b.freeMemoryBytes - a.freeMemoryBytes || byName(a.name, b.name));
  const named = sorted.slice(0, NAMED_HOSTS).map((r) => {
    if (r.room > 0) return `${r.name} has room for ${r.room}`;
    if (r.state !== 'ready') return `${r.name} is ${r.state}`;
    const short = [r.freeMemoryBytes < flavor.memoryBytes ? `${gib(r.freeMemoryBytes)} of memory` : undefined, r.freeNanoCpus < cpu ? vcpus(r.freeNanoCpus) : undefined];
    return `${r.name} has ${short.filter((s) => s !== undefined).join(' and ')} free`;
  });
  const rest = sorted.slice(NAMED_HOSTS);
  if (rest.length > 0) {
    const count = (pred: (r: HostRoom) => boolean, word: string) => {
      const n = rest.filter(pred).length;
      return n === 0 ? undefined : `${n} ${word}`;
    };
    const kinds = [
      count((r) => r.room > 0, 'with room'),
      count((r) => r.room === 0 && r.state === 'ready', 'full'),
      count((r) => r.state === 'draining', 'draining'),
      count((r) => r.state === 'down', 'down'),
    ].filter((s) => s !== undefined);
    named.push(`and ${rest.length} more host${rest.length === 1 ? '' : 's'} (${kinds.join(', ')})`);
  }
  return `${need}; ${fits} fit${fits === 1 ? 's' : ''}: ${named.join(', ')}`;
}

/** The managers chosen for a cluster, and whether losing any one host keeps a quorum of them. */
export interface ManagerChoice {
  /** Node indexes, lowest first. */
  readonly managers: readonly number[];
  readonly survivesHostLoss: boolean;
}

/**
 * Which nodes run swarm managers: 3 for a cluster of 3 or more nodes, on 3 distinct hosts when its
 * nodes are on that many (the lowest index on each new host first), else 1 (the lowest index, as today).
 * `host` null is the local engine.
 */
export function chooseManagers(nodes: readonly { readonly index: number; readonly host: string | null }[]): ManagerChoice {
  const byIndex = [...nodes].sort((a, b) => a.index - b.index);
  const wanted = byIndex.length >= 3 ? 3 : Math.min(1, byIndex.length);
  const chosen: { index: number; host: string | null }[] = [];
  const used = new Set<string | null>();
  for (const n of byIndex) {
    if (chosen.length === wanted) break;
    if (!used.has(n.host)) {
      used.add(n.host);
      chosen.push(n);
    }
  }
  // Fewer distinct hosts than managers: the rest share hosts (quorum still survives a lost node).
  for (const n of byIndex) {
    if (chosen.length === wanted) break;
    if (!chosen.includes(n)) chosen.push(n);
  }
  const perHost = new Map<string | null, number>();
  for (const n of chosen) perHost.set(n.host, (perHost.get(n.host) ?? 0) + 1);
  const quorum = Math.floor(wanted / 2) + 1;
  const worstLoss = Math.max(0, ...perHost.values());
  return { managers: chosen.map((n) => n.index).sort((a, b) => a - b), survivesHostLoss: wanted > 0 && wanted - worstLoss >= quorum };
}
