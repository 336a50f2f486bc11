import { describe, expect, it } from 'vitest';
import type { HostState } from '../core/placement.js';
import type { Host, HostEngines, NodePlacement } from '../core/ports.js';
import { HostMonitor, type HostMonitorOptions } from './host-monitor.js';

const GiB = 2 ** 30;

/** Hosts and placements in memory, with what the monitor did to them. */
class World {
  now = 100_000;
  readonly hosts = new Map<string, Host>();
  placements: NodePlacement[] = [];
  readonly events: string[] = [];
  readonly kicked: string[] = [];
  readonly calls: string[] = [];
  readonly answering = new Set<string>();
  /** What each evacuation step answers, in turn (then `done`). */
  evacuations: ('done' | 'waiting')[] = [];
  /** Nodes (`cluster/index`) that are not Ready swarm members on their hosts; every other one is. */
  readonly unjoined = new Set<string>();
  /** Node counts by cluster; absent: one past its highest placed index that is no stand-in. */
  readonly counts = new Map<string, number>();
  /** How many times the placements were read. */
  placedReads = 0;
  /** How many retire calls fail before one succeeds. */
  retireFailures = 0;
  /** Passes that asked for the hosts' swarm's empty manager seats to be filled. */
  seatFills = 0;

  addHost(name: string, lastSeenS: number, memoryGiB = 16): void {
    const at = new Date(lastSeenS * 1000);
    this.hosts.set(name, { name, dockerHost: `tcp://${name}:2376`, tlsDir: '/x', state: 'ready', allocatableNanoCpus: 8e9, allocatableMemoryBytes: memoryGiB * GiB, createdAt: at, updatedAt: at, lastSeenAt: at });
    this.answering.add(name);
  }

  countOf(clusterId: string): number {
    return this.counts.get(clusterId) ?? Math.max(0, ...this.placements.filter((p) => p.clusterId === clusterId && p.standIn !== true).map((p) => p.index + 1));
  }

  monitor(): HostMonitor {
    const set = (name: string, patch: Partial<Host>) => {
      const h = this.hosts.get(name);
      if (h) this.hosts.set(name, { ...h, ...patch });
      return Promise.resolve(this.hosts.get(name));
    };
    const engines: HostEngines = {
      answers: (name) => Promise.resolve(this.answering.has(name)),
      retire: (name) => {
        this.calls.push(`retire ${name}`);
        return this.retireFailures-- > 0 ? Promise.reject(new Error('no other host manages the hosts\' swarm')) : Promise.resolve();
      },
      readmit: (name, keep) => (this.calls.push(`readmit ${name} keeping ${keep.map((k) => `${k.clusterId}/${k.index}`).join(',') || 'none'}`), Promise.resolve()),
      evacuate: (clusterId, index) => (this.calls.push(`evacuate ${clusterId}/${index}`), Promise.resolve(this.evacuations.shift() ?? 'done')),
      joined: (clusterId, index) => Promise.resolve(!this.unjoined.has(`${clusterId}/${index}`)),
      fillManagerSeats: () => (this.seatFills++, Promise.resolve()),
      clear: (name, keep) => (this.calls.push(`clear ${name} keeping ${keep.map((k) => `${k.clusterId}/${k.index}`).join(',') || 'none'}`), Promise.resolve()),
    };
    const options: HostMonitorOptions = {
      hosts: {
        list: () => Promise.resolve([...this.hosts.values()]),
        setState: (name, state: HostState) => set(name, { state }),
        markSeen: async (name) => void (await set(name, { lastSeenAt: new Date(this.now) })),
        placedNodes: () => {
          this.placedReads++;
          return Promise.resolve(this.placements.map((p) => ({ ...p, flavor: 'container1-4G', nodeCount: this.countOf(p.clusterId) })));
        },
        releaseStandIn: (clusterId, index) => {
          this.placements = this.placements.map((p) => (p.clusterId === clusterId && p.index === index ? { clusterId, index, host: p.host } : p));
          return Promise.resolve();
        },
        place: (clusterId, placements) => {
          for (const p of placements) {
            if (this.hosts.get(p.host)?.state !== 'ready') return Promise.resolve({ ok: false, reason: `host ${p.host} is not ready` });
          }
          this.placements = [...this.placements.filter((x) => x.clusterId !== clusterId || !placements.some((p) => p.index === x.index)), ...placements.map((p) => ({ clusterId, ...p }))];
          return Promise.resolve({ ok: true });
        },
      },
      events: { append: (clusterId, _type, message) => (this.events.push(`${clusterId}: ${message}`), Promise.resolve({ id: 1, clusterId, at: new Date(this.now), type: _type, message })) },
      engines,
      scheduler: { kick: (id) => this.kicked.push(id) },
      clock: { now: () => new Date(this.now) },
      log: () => undefined,
      intervalMs: 1_000,
      downAfterMs: 30_000,
      maxNodes: 46,
    };
    return new HostMonitor(options);
  }
}

describe('HostMonitor', () => {
  it('records the hosts that answer, and waits out a short silence', async () => {
    const w = new World();
    w.addHost('h1', 90);
    w.addHost('h2', 90);
    w.answering.delete('h2');
    await w.monitor().tick();
    expect(w.hosts.get('h1')?.lastSeenAt?.getTime()).toBe(100_000);
    expect(w.hosts.get('h2')?.state).toBe('ready');
    expect(w.calls).toEqual([]);
  });

  it('declares a long-silent host down, takes it out of the hosts\' swarm and moves its nodes to other hosts', async () => {
    const w = new World();
    for (const h of ['h1', 'h2', 'h3']) w.addHost(h, 90);
    w.placements = [
      { clusterId: 'c1', index: 0, host: 'h1' },
      { clusterId: 'c1', index: 1, host: 'h2' },
      { clusterId: 'c1', index: 2, host: 'h3' },
      { clusterId: 'c2', index: 0, host: 'h3' },
    ];
    w.answering.delete('h3');
    w.now = 130_000; // h3 last answered at 90 s: silent 40 s
    await w.monitor().tick();
    expect(w.hosts.get('h3')?.state).toBe('down');
    expect(w.calls).toEqual(['retire h3']);
    expect(w.placements.filter((p) => p.host === 'h3')).toEqual([]);
    // c1's node 2 goes where c1 has the fewest nodes (a tie: the most room, then the name).
    expect(w.events).toEqual([expect.stringMatching(/^c1: host h3 is down: re-creating node 2 → h[12]$/), expect.stringMatching(/^c2: host h3 is down: re-creating node 0 → h[12]$/)]);
    expect(w.kicked).toEqual(['c1', 'c2']);
  });

  it("moves a down host's nodes only once it is out of the hosts' swarm (its nodes' overlay addresses are free then), trying each pass", async () => {
    const w = new World();
    for (const h of ['h1', 'h2']) w.addHost(h, 90);
    w.placements = [{ clusterId: 'c1', index: 0, host: 'h1' }];
    w.answering.delete('h1');
    w.now = 130_000;
    w.retireFailures = 1; // the hosts' swarm is electing a new leader: the lost host led it
    const monitor = w.monitor();
    await monitor.tick();
    expect(w.hosts.get('h1')?.state).toBe('down');
    expect(w.placements).toEqual([{ clusterId: 'c1', index: 0, host: 'h1' }]);
    await monitor.tick();
    expect(w.calls).toEqual(['retire h1', 'retire h1']);
    expect(w.placements).toEqual([{ clusterId: 'c1', index: 0, host: 'h2' }]);
    expect(w.kicked).toEqual(['c1']);
    await monitor.tick(); // out of the swarm, nothing left on it: nothing more to do
    expect(w.calls).toEqual(['retire h1', 'retire h1']);
  });

  it("asks for the hosts' swarm's manager seats to be filled each pass once a host was taken out of it, not before", async () => {
    const w = new World();
    for (const h of ['h1', 'h2', 'h3', 'h4']) w.addHost(h, 90);
    const monitor = w.monitor();
    await monitor.tick();
    expect(w.seatFills).toBe(0); // nobody lost: no call to any engine for it
    w.answering.delete('h1');
    w.now = 130_000;
    w.retireFailures = 1; // still in the swarm after this pass: no seat to fill yet
    await monitor.tick();
    expect(w.seatFills).toBe(0);
    await monitor.tick(); // taken out: its seat is filled once a worker is ready for it (the engine's judgement), each pass until then
    await monitor.tick();
    expect(w.seatFills).toBe(2);
  });

  it('leaves nodes on a down host when no other host has room, and says so', async () => {
    const w = new World();
    w.addHost('h1', 90, 4); // room for one 4 GiB node, which it holds
    w.addHost('h2', 90);
    w.placements = [
      { clusterId: 'c1', index: 0, host: 'h1' },
      { clusterId: 'c1', index: 1, host: 'h2' },
      { clusterId: 'c1', index: 2, host: 'h2' },
      { clusterId: 'c1', index: 3, host: 'h2' },
      { clusterId: 'c1', index: 4, host: 'h2' },
    ];
    w.answering.delete('h2');
    w.now = 200_000;
    await w.monitor().tick();
    expect(w.placements.filter((p) => p.host === 'h2').length).toBe(4);
    expect(w.events).toEqual([expect.stringContaining('c1: host h2 is down; node 1, node 2, node 3, node 4 cannot move:')]);
    expect(w.kicked).toEqual([]);
  });

  it('clears a down host that answers again of the nodes that moved, keeping those still placed there, and lets it take nodes', async () => {
    const w = new World();
    w.addHost('h1', 90);
    w.hosts.set('h1', { ...(w.hosts.get('h1') as Host), state: 'down' });
    w.placements = [{ clusterId: 'c9', index: 1, host: 'h1' }];
    await w.monitor().tick();
    expect(w.calls).toEqual(['readmit h1 keeping c9/1']);
    expect(w.hosts.get('h1')?.state).toBe('ready');
  });

  it('moves the nodes of a draining host elsewhere gently, one per cluster at a time, after a stand-in joined, and leaves node 0 (the only manager) where it is', async () => {
    const w = new World();
    w.addHost('h1', 90);
    w.addHost('h2', 90);
    w.hosts.set('h2', { ...(w.hosts.get('h2') as Host), state: 'draining' });
    w.placements = [
      { clusterId: 'c1', index: 0, host: 'h2' },
      { clusterId: 'c1', index: 1, host: 'h2' },
      { clusterId: 'c1', index: 2, host: 'h2' },
    ];
    w.evacuations = ['waiting'];
    const monitor = w.monitor();
    await monitor.tick(); // a stand-in past the count joins first: nothing is evacuated yet
    expect(w.placements.find((p) => p.index === 3)).toEqual({ clusterId: 'c1', index: 3, host: 'h1', standIn: true });
    expect(w.calls).toEqual(['clear h2 keeping c1/0,c1/1,c1/2']);
    expect(w.kicked).toEqual(['c1']);
    await monitor.tick(); // it has joined: node 1 is drained in its swarm
    expect(w.calls.slice(1)).toEqual(['evacuate c1/1', 'clear h2 keeping c1/0,c1/1,c1/2']);
    await monitor.tick(); // its tasks have moved: it is placed on h1, then its container leaves h2
    expect(w.calls.slice(3)).toEqual(['evacuate c1/1', 'clear h2 keeping c1/0,c1/2']);
    expect(w.placements.find((p) => p.index === 1)?.host).toBe('h1');
    w.unjoined.add('c1/1'); // re-created on h1, not in the swarm yet
    await monitor.tick();
    expect(w.calls.slice(5)).toEqual(['clear h2 keeping c1/0,c1/2']);
    w.unjoined.delete('c1/1');
    await monitor.tick(); // then node 2
    expect(w.placements.filter((p) => p.index < 3).map((p) => `${p.index}@${p.host}`).sort()).toEqual(['0@h2', '1@h1', '2@h1']);
    await monitor.tick(); // nothing left to move but node 0: the stand-in is released (the reconciler removes it)
    expect(w.placements.find((p) => p.index === 3)).toEqual({ clusterId: 'c1', index: 3, host: 'h1' });
    await monitor.tick(); // nothing more is said, only strays are looked for
    expect(w.calls.slice(6)).toEqual(['evacuate c1/2', 'clear h2 keeping c1/0', 'clear h2 keeping c1/0', 'clear h2 keeping c1/0']);
    expect(w.kicked).toEqual(['c1', 'c1', 'c1', 'c1']);
    expect(w.events).toEqual([
      "c1: host h2 is draining; node 0, the cluster's only swarm manager, stays there (moving it would lose the swarm)",
      'c1: host h2 is draining: stand-in node 3 joins on h1 first, then node 1 moves off it',
      'c1: host h2 is draining: moving node 1 off it (drained in the swarm first, so its tasks move)',
      'c1: node 1 left draining host h2: re-creating it on h1',
      'c1: host h2 is draining; node 2 moves once node 1 has joined again',
      'c1: host h2 is draining: moving node 2 off it (drained in the swarm first, so its tasks move)',
      'c1: node 2 left draining host h2: re-creating it on h1',
      'c1: the nodes moved off draining hosts have joined again: stand-in node 3 leaves',
    ]);
  });

  it('evacuates nothing until the stand-in has joined, and keeps the stand-in until the moved node joined again, even once no host drains', async () => {
    const w = new World();
    w.addHost('h1', 90);
    w.addHost('h2', 90);
    w.hosts.set('h2', { ...(w.hosts.get('h2') as Host), state: 'draining' });
    w.placements = [
      { clusterId: 'c1', index: 0, host: 'h1' },
      { clusterId: 'c1', index: 1, host: 'h2' },
      { clusterId: 'c1', index: 2, host: 'h1', standIn: true },
    ];
    w.counts.set('c1', 2);
    w.unjoined.add('c1/2');
    const monitor = w.monitor();
    await monitor.tick();
    await monitor.tick();
    expect(w.calls.filter((c) => c.startsWith('evacuate'))).toEqual([]);
    expect(w.events).toEqual(['c1: host h2 is draining; node 1 moves once stand-in node 2 has joined']);
    w.unjoined.delete('c1/2');
    await monitor.tick();
    expect(w.placements.find((p) => p.index === 1)?.host).toBe('h1');
    w.unjoined.add('c1/1');
    w.hosts.set('h2', { ...(w.hosts.get('h2') as Host), state: 'ready' }); // the operator lets h2 take nodes again
    await monitor.tick();
    expect(w.placements.find((p) => p.index === 2)?.standIn).toBe(true);
    expect(w.events.at(-1)).toBe('c1: stand-in node 2 stays until node 1 has joined again');
    w.unjoined.delete('c1/1');
    await monitor.tick();
    expect(w.placements.find((p) => p.index === 2)?.standIn).toBeUndefined();
    expect(w.events.at(-1)).toBe('c1: the nodes moved off draining hosts have joined again: stand-in node 2 leaves');
  });

  it('moves a node without a stand-in when no host has room for one more, and says so', async () => {
    const w = new World();
    w.addHost('h1', 90, 4); // room for one node of 4 GiB
    w.addHost('h2', 90);
    w.hosts.set('h2', { ...(w.hosts.get('h2') as Host), state: 'draining' });
    w.placements = [
      { clusterId: 'c1', index: 0, host: 'h2' },
      { clusterId: 'c1', index: 1, host: 'h2' },
    ];
    await w.monitor().tick();
    expect(w.placements.map((p) => `${p.index}@${p.host}${p.standIn ? ' stand-in' : ''}`)).toEqual(['0@h2', '1@h1']);
    expect(w.events[1]).toMatch(/^c1: host h2 is draining; no stand-in can join first \(.+\): node 1 moves without one$/);
    expect(w.events.at(-1)).toBe('c1: node 1 left draining host h2: re-creating it on h1');
  });

  it('moves node 0 too when its cluster has 3 managers on 3 hosts (the other two keep the quorum)', async () => {
    const w = new World();
    for (const h of ['h1', 'h2', 'h3', 'h4']) w.addHost(h, 90);
    w.hosts.set('h1', { ...(w.hosts.get('h1') as Host), state: 'draining' });
    w.placements = [
      { clusterId: 'c1', index: 0, host: 'h1' },
      { clusterId: 'c1', index: 1, host: 'h2' },
      { clusterId: 'c1', index: 2, host: 'h3' },
    ];
    const monitor = w.monitor();
    await monitor.tick();
    expect(w.placements.find((p) => p.index === 3)).toEqual({ clusterId: 'c1', index: 3, host: 'h4', standIn: true });
    await monitor.tick();
    expect(w.calls).toEqual(['clear h1 keeping c1/0', 'evacuate c1/0', 'clear h1 keeping none']);
    // Spread first, the stand-in not counted (it leaves): the host of none of the cluster's own nodes, so the 3 managers stay on 3 hosts.
    expect(w.placements.find((p) => p.index === 0)?.host).toBe('h4');
    expect(w.events).toEqual([
      'c1: host h1 is draining: stand-in node 3 joins on h4 first, then node 0 moves off it',
      'c1: host h1 is draining: moving node 0 off it (drained in the swarm first, so its tasks move)',
      'c1: node 0 left draining host h1: re-creating it on h4',
    ]);
  });

  it('reads no placement while no host drains and no stand-in is left (after a first look at start)', async () => {
    const w = new World();
    w.addHost('h1', 90);
    w.placements = [{ clusterId: 'c1', index: 0, host: 'h1' }];
    const monitor = w.monitor();
    await monitor.tick();
    await monitor.tick();
    await monitor.tick();
    expect(w.placedReads).toBe(1);
    w.hosts.set('h1', { ...(w.hosts.get('h1') as Host), state: 'draining' });
    await monitor.tick();
    w.hosts.set('h1', { ...(w.hosts.get('h1') as Host), state: 'ready' });
    await monitor.tick(); // the pass after a drain looks once more (a stand-in may have been placed)
    await monitor.tick();
    expect(w.placedReads).toBe(1 + 2 + 1);
  });

  it('moves nothing off a draining host that does not answer', async () => {
    const w = new World();
    w.addHost('h1', 90);
    w.addHost('h2', 90);
    w.hosts.set('h2', { ...(w.hosts.get('h2') as Host), state: 'draining' });
    w.answering.delete('h2');
    w.placements = [{ clusterId: 'c1', index: 1, host: 'h2' }];
    await w.monitor().tick();
    expect(w.calls).toEqual([]);
  });
});
