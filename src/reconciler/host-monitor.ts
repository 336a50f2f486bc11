import type { Scheduler } from '../core/cluster-service.js';
import { describeCause } from '../core/errors.js';
import { findFlavor, FLAVORS } from '../core/flavors.js';
import { judgeHost } from '../core/host-health.js';
import { placeNodes, placementPool } from '../core/placement.js';
import { managerSeats } from '../core/planner.js';
import type { Clock, Host, HostEngines, HostRepository, EventRepository } from '../core/ports.js';

export interface HostMonitorOptions {
  readonly hosts: Pick<HostRepository, 'list' | 'setState' | 'markSeen' | 'placedNodes' | 'place' | 'releaseStandIn'>;
  readonly events: Pick<EventRepository, 'append'>;
  readonly engines: HostEngines;
  readonly scheduler: Scheduler;
  readonly clock: Clock;
  readonly log: (line: string) => void;
  readonly intervalMs: number;
  /** A host silent this long is declared down (CARINA_HOST_DOWN_AFTER_MS). */
  readonly downAfterMs: number;
  /** Nodes a cluster on hosts may have (indexes 0 … maxNodes − 1: the addresses of its overlay network). */
  readonly maxNodes: number;
}

/** A placed node as the monitor reads it. */
type Placed = Awaited<ReturnType<HostRepository['placedNodes']>>[number];

/**
 * The leader's watch over the registered hosts (issue 13). Each pass asks every host's engine; one
 * silent for `downAfterMs` is declared `down`: it leaves the hosts' swarm and each of its nodes is
 * placed on another host, so the reconciler re-creates it there (the cluster goes `rebuilding`, then
 * `active`). A down host that answers again is cleared of its old nodes — never resurrected beside
 * their replacements — and takes nodes again.
 */
export class HostMonitor {
  readonly #o: HostMonitorOptions;
  /** What was said of a node on a draining host (`cluster/index` → the last line), so each pass does not say it again. */
  readonly #said = new Map<string, string>();
  /** Down hosts taken out of the hosts' swarm in this process's lifetime (their nodes then moved). */
  readonly #retired = new Set<string>();
  /**
   * Whether a stand-in may still be placed: true at start (one left by an earlier leader), then what the
   * last drain pass found. With no host draining and none left, a pass reads no placement.
   */
  #standInsLeft = true;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;

  constructor(options: HostMonitorOptions) {
    this.#o = Object.freeze({ ...options });
  }

  start(): void {
    this.#timer = setInterval(() => {
      this.#running ??= this.tick()
        .catch((e: unknown) => this.#o.log(`hosts: check failed (next pass retries): ${describeCause(e)}`))
        .finally(() => (this.#running = undefined));
    }, this.#o.intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  /** One pass over every registered host. */
  async tick(): Promise<void> {
    const hosts = await this.#o.hosts.list();
    const answered = await Promise.all(hosts.map((h) => this.#o.engines.answers(h.name)));
    for (const [i, host] of hosts.entries()) {
      const verdict = judgeHost(host, answered[i] === true, this.#o.clock.now().getTime(), this.#o.downAfterMs);
      if (verdict.kind === 'seen') await this.#o.hosts.markSeen(host.name);
      else if (verdict.kind === 'back') await this.#readmit(host);
      else if (verdict.kind === 'down') await this.#lost(host, verdict.silentMs);
      else if (host.state === 'down' && answered[i] !== true) await this.#evict(host.name);
    }
    // Nodes move off draining hosts that answer; a stand-in left from a drain leaves even once none drains.
    const draining = new Set(hosts.filter((h, i) => h.state === 'draining' && answered[i] === true).map((h) => h.name));
    if (draining.size > 0 || (hosts.length > 0 && this.#standInsLeft)) this.#standInsLeft = await this.#drain(draining);
    // A manager host taken out of the hosts' swarm (above, or in an earlier pass) leaves a seat a worker host takes.
    if (this.#retired.size > 0) {
      await this.#o.engines.fillManagerSeats().catch((e: unknown) => this.#o.log(`hosts: filling the hosts' swarm's manager seats (next pass retries): ${describeCause(e)}`));
    }
  }

  /**
   * Moves nodes off draining hosts, one node per cluster at a time, each gently (HostEngines.evacuate)
   * before it is placed elsewhere and re-created there. A stand-in node joins the cluster first (a
   * worker placed past its count), so the cluster keeps its count of working nodes while each node is
   * moved; it leaves once every node moved and joined again. Node 0 of a cluster with one swarm manager
   * stays: moving it would lose the cluster's swarm. With 3 managers on 3 hosts (managerSeats) it moves
   * like the others, the other two keeping the quorum. Answers whether a stand-in may be left for
   * the next pass (one was found, or a host drains, so one may have been placed).
   */
  async #drain(draining: ReadonlySet<string>): Promise<boolean> {
    const byCluster = new Map<string, Placed[]>();
    for (const p of await this.#o.hosts.placedNodes()) {
      const nodes = byCluster.get(p.clusterId);
      if (nodes) nodes.push(p);
      else byCluster.set(p.clusterId, [p]);
    }
    let standIns = false;
    for (const [clusterId, nodes] of byCluster) {
      const standIn = nodes.find((p) => p.standIn === true);
      standIns ||= standIn !== undefined;
      // The cluster's own nodes: not the stand-in, nor surplus ones a resize is removing.
      const own = nodes.filter((p) => p.standIn !== true && p.index < p.nodeCount);
      const seats = managerSeats(own.length, new Map(own.map((p) => [p.index, p.host])));
      const moving: Placed[] = [];
      for (const p of own.filter((n) => draining.has(n.host))) {
        if (p.index > 0 || seats > 1) moving.push(p);
        else await this.#say(clusterId, 0, `host ${p.host} is draining; node 0, the cluster's only swarm manager, stays there (moving it would lose the swarm)`);
      }
      const [next] = moving;
      try {
        if (next !== undefined) await this.#relay(next, nodes, standIn, draining);
        else if (standIn !== undefined) await this.#dismiss(standIn, own);
      } catch (e) {
        this.#o.log(`hosts: moving nodes of cluster ${clusterId} off draining hosts (next pass retries): ${describeCause(e)}`);
      }
    }
    if (draining.size === 0) return standIns;
    // The nodes placed elsewhere now leave the draining hosts (also any a crash or a race left there).
    const stay = (await this.#o.hosts.placedNodes()).filter((p) => draining.has(p.host));
    for (const host of draining) {
      await this.#o.engines.clear(host, stay.filter((p) => p.host === host)).catch((e: unknown) => this.#o.log(`hosts: clearing ${host} (next pass retries): ${describeCause(e)}`));
    }
    return true;
  }

  /**
   * One step of moving `node` off its draining host: a stand-in joins first (placed, then waited for),
   * and every node moved before has joined again, so one node at a time is out of the cluster.
   */
  async #relay(node: Placed, nodes: readonly Placed[], standIn: Placed | undefined, draining: ReadonlySet<string>): Promise<void> {
    const { clusterId } = node;
    if (standIn === undefined) {
      const index = Math.max(node.nodeCount, ...nodes.map((p) => p.index + 1));
      // Room for two: the stand-in, and the node itself once it moves (the stand-in must not take its room).
      const chosen = index < this.#o.maxNodes ? await this.#chooseHosts(clusterId, node.flavor, 2) : { ok: false as const, why: `a node ${index} would pass the ${this.#o.maxNodes} nodes a cluster on hosts may have` };
      const to = chosen.ok ? chosen.hosts[0] : undefined;
      if (to === undefined) {
        // No room for a stand-in: the node moves without one (the cluster is one node short until it joins again).
        await this.#say(clusterId, node.index, `host ${node.host} is draining; no stand-in can join first (${chosen.ok ? 'no host was chosen' : chosen.why}): node ${node.index} moves without one`);
        await this.#moveOff(node);
        return;
      }
      const placed = await this.#o.hosts.place(clusterId, [{ index, host: to, standIn: true }]);
      if (!placed.ok) return; // the next pass chooses again
      await this.#o.events.append(clusterId, 'host-drain', `host ${node.host} is draining: stand-in node ${index} joins on ${to} first, then node ${node.index} moves off it`);
      this.#o.scheduler.kick(clusterId);
      return;
    }
    if (!(await this.#o.engines.joined(clusterId, standIn.index))) {
      await this.#say(clusterId, node.index, `host ${node.host} is draining; node ${node.index} moves once stand-in node ${standIn.index} has joined`);
      return;
    }
    // One node at a time is out: those moved before have joined again on their new hosts.
    const back = await this.#notJoined(nodes.filter((p) => p !== standIn && p.index < p.nodeCount && !draining.has(p.host)));
    if (back.length > 0) {
      await this.#say(clusterId, node.index, `host ${node.host} is draining; node ${node.index} moves once node ${back.join(', ')} has joined again`);
      return;
    }
    await this.#moveOff(node, standIn);
  }

  /** Every node moved and joined again: the stand-in is released, and the reconciler removes it gently. */
  async #dismiss(standIn: Placed, own: readonly Placed[]): Promise<void> {
    const back = await this.#notJoined(own);
    if (back.length > 0) {
      await this.#say(standIn.clusterId, standIn.index, `stand-in node ${standIn.index} stays until node ${back.join(', ')} has joined again`);
      return;
    }
    await this.#o.hosts.releaseStandIn(standIn.clusterId, standIn.index);
    this.#said.delete(`${standIn.clusterId}/${standIn.index}`);
    await this.#o.events.append(standIn.clusterId, 'host-drain', `the nodes moved off draining hosts have joined again: stand-in node ${standIn.index} leaves`);
    this.#o.scheduler.kick(standIn.clusterId);
  }

  /** The indexes of `nodes` that are not Ready swarm members on their hosts now. */
  async #notJoined(nodes: readonly Placed[]): Promise<number[]> {
    const joined = await Promise.all(nodes.map((p) => this.#o.engines.joined(p.clusterId, p.index)));
    return nodes.filter((_, i) => !joined[i]).map((p) => p.index);
  }

  async #moveOff(node: Placed, standIn?: Placed): Promise<void> {
    const chosen = await this.#chooseHosts(node.clusterId, node.flavor, 1, standIn);
    const to = chosen.ok ? chosen.hosts[0] : undefined;
    if (to === undefined) {
      const why = chosen.ok ? 'no host was chosen' : chosen.why;
      await this.#say(node.clusterId, node.index, `host ${node.host} is draining; node ${node.index} stays there for now: ${why}`);
      return;
    }
    await this.#say(node.clusterId, node.index, `host ${node.host} is draining: moving node ${node.index} off it (drained in the swarm first, so its tasks move)`);
    if ((await this.#o.engines.evacuate(node.clusterId, node.index)) === 'waiting') return;
    const placed = await this.#o.hosts.place(node.clusterId, [{ index: node.index, host: to }]);
    if (!placed.ok) return; // the next pass chooses again
    this.#said.delete(`${node.clusterId}/${node.index}`);
    await this.#o.events.append(node.clusterId, 'host-drain', `node ${node.index} left draining host ${node.host}: re-creating it on ${to}`);
    this.#o.scheduler.kick(node.clusterId);
  }

  /**
   * Hosts for `count` nodes of a cluster moving off a host, from the pool as stored now (placement as for
   * new nodes). A stand-in (`standIn`) reserves its host's room but does not count as the cluster's for the
   * spread: it leaves, and the node it stands in for goes where the cluster's own nodes are fewest.
   */
  async #chooseHosts(clusterId: string, flavorName: string, count: number, standIn?: Placed): Promise<{ ok: true; hosts: readonly string[] } | { ok: false; why: string }> {
    const flavor = findFlavor(flavorName);
    if (!flavor) return { ok: false, why: `its flavor ${flavorName} is no longer offered` };
    const placed = (await this.#o.hosts.placedNodes()).map((p) => (standIn && p.clusterId === standIn.clusterId && p.index === standIn.index ? { ...p, clusterId: '' } : p));
    const pool = placementPool(await this.#o.hosts.list(), placed, FLAVORS);
    const outcome = placeNodes(pool, { clusterId, count, flavor });
    return outcome.ok ? { ok: true, hosts: outcome.hosts } : { ok: false, why: outcome.message };
  }

  /** Appends an event to the cluster's log unless the same was said of this node last. */
  async #say(clusterId: string, index: number, message: string, type = 'host-drain'): Promise<void> {
    const key = `${clusterId}/${index}`;
    if (this.#said.get(key) === message) return;
    this.#said.set(key, message);
    await this.#o.events.append(clusterId, type, message);
  }

  async #lost(host: Host, silentMs: number): Promise<void> {
    this.#o.log(`hosts: ${host.name} has not answered for ${Math.round(silentMs / 1000)} s: it is down; its nodes are re-created on other hosts`);
    await this.#o.hosts.setState(host.name, 'down');
    this.#retired.delete(host.name);
    await this.#evict(host.name);
  }

  /**
   * Takes a down host out of the hosts' swarm, then moves its nodes. Only that frees the addresses its
   * nodes held on their overlays, so until it succeeds (the hosts' swarm may be electing a new leader
   * when the lost host led it: measured ≈10 s) nothing moves, and each pass tries again.
   */
  async #evict(name: string): Promise<void> {
    const placed = (await this.#o.hosts.placedNodes()).filter((p) => p.host === name);
    if (this.#retired.has(name) && placed.length === 0) return;
    try {
      await this.#o.engines.retire(name);
    } catch (e) {
      this.#o.log(`hosts: ${name} stays in the hosts' swarm for now (the next pass tries again; its nodes move after): ${describeCause(e)}`);
      return;
    }
    this.#retired.add(name);
    const byCluster = new Map<string, { flavor: string; indexes: number[] }>();
    for (const p of placed) {
      const entry = byCluster.get(p.clusterId) ?? { flavor: p.flavor, indexes: [] };
      entry.indexes.push(p.index);
      byCluster.set(p.clusterId, entry);
    }
    for (const [clusterId, { flavor, indexes }] of byCluster) await this.#move(name, clusterId, flavor, indexes);
  }

  /** Places a lost host's nodes of one cluster elsewhere and asks for the cluster to be worked on. */
  async #move(lost: string, clusterId: string, flavorName: string, indexes: readonly number[]): Promise<void> {
    const nodes = indexes.map((i) => `node ${i}`).join(', ');
    const chosen = await this.#chooseHosts(clusterId, flavorName, indexes.length);
    if (!chosen.ok) {
      await this.#say(clusterId, indexes[0] ?? 0, `host ${lost} is down; ${nodes} cannot move: ${chosen.why}; they move once there is room, or come back with the host`, 'host-down');
      return;
    }
    const placements = indexes.map((index, i) => ({ index, host: chosen.hosts[i] ?? lost }));
    const placed = await this.#o.hosts.place(clusterId, placements);
    if (!placed.ok) {
      await this.#say(clusterId, indexes[0] ?? 0, `host ${lost} is down; ${nodes} cannot move now (${placed.reason}): the next pass tries again`, 'host-down');
      return;
    }
    const where = placements.map((p) => `node ${p.index} → ${p.host}`).join(', ');
    await this.#o.events.append(clusterId, 'host-down', `host ${lost} is down: re-creating ${where}`);
    this.#o.scheduler.kick(clusterId);
  }

  async #readmit(host: Host): Promise<void> {
    this.#o.log(`hosts: ${host.name} answers again: removing the nodes it held (re-created elsewhere) and letting it take nodes`);
    const keep = (await this.#o.hosts.placedNodes()).filter((p) => p.host === host.name);
    await this.#o.engines.readmit(host.name, keep);
    await this.#o.hosts.markSeen(host.name);
    await this.#o.hosts.setState(host.name, 'ready');
  }
}
