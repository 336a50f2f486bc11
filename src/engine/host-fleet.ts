import type Dockerode from 'dockerode';
import { describeCause, EngineError } from '../core/errors.js';
import { hostEngineClient, parseTcpHost, type TlsEngineTarget } from './host-client.js';
import { HostCgroups } from './host-cgroups.js';
import { HostGuard } from './host-guard.js';
import type { ControlPlaneReach } from './host-guard-rules.js';
import { hostServesLxcfs, HostLxcfs } from './host-lxcfs.js';
import { hostJoinAddress } from './host-join-address.js';
import { emptySeats, joinThrough, managerAddresses, readyToManage, type SwarmMember, type WorkerView } from './host-swarm-seats.js';
import { copyImage, imageExists } from './node-image.js';

/** A registered Docker host as the engine needs it. */
export interface FleetHost extends TlsEngineTarget {
  readonly name: string;
}

/** One host's engine, ready to use. */
export interface HostEngine {
  readonly name: string;
  readonly docker: Dockerode;
  /** The address its engine (and every port published on it) is reached at: the host part of its DOCKER_HOST. */
  readonly address: string;
}

export interface HostFleetOptions {
  /** The registered host of that name, if any. */
  readonly lookup: (name: string) => Promise<FleetHost | undefined>;
  /** Every registered host (orphan sweeps look at all of them). */
  readonly list: () => Promise<FleetHost[]>;
  /** The engine images are copied from to a host that lacks them. */
  readonly source: Dockerode;
  readonly log: (line: string) => void;
  /** Wraps each host engine's client (the control plane fences their changing requests, as the local engine's). */
  readonly wrap?: ((docker: Dockerode) => Dockerode) | undefined;
  /** The clusters' node subnet pool (CARINA_NODE_SUBNET_POOL): the hosts' guards close it, as the hosts' swarm pool, to containers. */
  readonly nodeSubnetPool: string;
  /** The control plane's machine as the hosts reach it: the guards let containers reach only its public ports. */
  readonly controlPlane?: ControlPlaneReach | undefined;
}

/** The port swarm managers listen on, between hosts as between nodes. */
const SWARM_PORT = 2377;
/**
 * Where the hosts' swarm takes the subnets of networks it makes itself (its ingress network): outside
 * the node subnet pool's default (10.213.0.0/16), the simulated hosts' network (10.214.0.0/24) and the
 * benchmarks' node pool (10.215.0.0/16).
 */
export const HOST_SWARM_ADDRESS_POOL = '10.216.0.0/16';
/** At most this many hosts are swarm managers (Raft quorum survives the loss of one of three); the rest join as workers. */
const MANAGERS = 3;
/** A host's engine must answer a probe within this long to take part in forming the swarm. */
const PROBE_TIMEOUT_MS = 5_000;

type SwarmInfo = { Swarm?: { LocalNodeState?: string; ControlAvailable?: boolean; NodeID?: string; Managers?: number; Error?: string } };

/**
 * The registered Docker hosts nodes are placed on: a client of each engine over mutual TLS, the node
 * image copied to each before its first node, and the hosts joined into one Docker Swarm of their own,
 * on which every placed cluster gets an attachable overlay network (docs/multi-host.md).
 */
export class HostFleet {
  readonly #o: HostFleetOptions;
  readonly #engines = new Map<string, { key: string; engine: Promise<HostEngine> }>();
  readonly #images = new Map<string, Promise<void>>();
  /** Hosts known to be swarm members in this process's lifetime. */
  readonly #joined = new Set<string>();
  /** Swarm changes one at a time: two clusters placed at once must not form two swarms. */
  #swarmChain: Promise<unknown> = Promise.resolve();
  #lastManager: string | undefined;
  /** The address each host joined the hosts' swarm through, for the joins made in this process's lifetime. */
  readonly #joinedThrough = new Map<string, string>();
  readonly #said = new Map<string, string>();

  readonly #guard: HostGuard;
  readonly #cgroups: HostCgroups;
  readonly #lxcfs: HostLxcfs;

  constructor(options: HostFleetOptions) {
    this.#o = Object.freeze({ ...options });
    this.#cgroups = new HostCgroups(options.log);
    this.#lxcfs = new HostLxcfs(options.log);
    this.#guard = new HostGuard({ list: options.list, engines: () => this.all(), overlaySubnets: [options.nodeSubnetPool, HOST_SWARM_ADDRESS_POOL], controlPlane: options.controlPlane, log: options.log });
  }

  /** The engine of the named host (`quick`: a client that gives up after a few seconds); an EngineError when it is not registered. */
  async host(name: string, quick = false): Promise<HostEngine> {
    const found = await this.#o.lookup(name);
    if (found === undefined) throw new EngineError(`reach host ${name}`, new Error('no such host is registered (carina-server hosts list)'));
    return this.#engine(found, quick ? PROBE_TIMEOUT_MS : 30_000);
  }

  #engine(host: FleetHost, timeoutMs = 30_000): Promise<HostEngine> {
    const key = `${host.dockerHost}|${host.tlsDir}|${timeoutMs}`;
    const cacheKey = `${host.name}|${timeoutMs}`;
    const cached = this.#engines.get(cacheKey);
    if (cached?.key === key) return cached.engine;
    const engine = hostEngineClient(host, timeoutMs).then(
      (docker) => ({ name: host.name, docker: this.#o.wrap?.(docker) ?? docker, address: parseTcpHost(host.dockerHost).host }),
      (e: unknown) => {
        this.#engines.delete(cacheKey);
        throw new EngineError(`reach host ${host.name}`, e);
      },
    );
    this.#engines.set(cacheKey, { key, engine });
    return engine;
  }

  /** Every registered host's engine (quick clients: an orphan sweep must not hang on a dead host). */
  async all(): Promise<HostEngine[]> {
    const hosts = await this.#o.list();
    const engines = await Promise.all(hosts.map((h) => this.#engine(h, PROBE_TIMEOUT_MS).catch(() => undefined)));
    return engines.filter((e): e is HostEngine => e !== undefined);
  }

  /** Whether the host's engine answers a ping within a few seconds. */
  async answers(name: string): Promise<boolean> {
    const found = await this.#o.lookup(name);
    if (found === undefined) return false;
    try {
      await (await this.#engine(found, PROBE_TIMEOUT_MS)).docker.ping();
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Takes a host that no longer answers out of the hosts' swarm — demoted first if it was a manager
   * (the other managers keep the quorum), then removed — which frees the overlay addresses its
   * nodes held, so their replacements elsewhere can take them (a manager's seat is filled later:
   * fillManagerSeats). Done from a manager that answers.
   */
  retire(name: string): Promise<void> {
    const next = this.#swarmChain.then(async () => {
      this.#joined.delete(name);
      const found = await this.#o.lookup(name);
      if (found === undefined) return;
      const address = parseTcpHost(found.dockerHost).host;
      const manager = await this.manager(name);
      if (manager === undefined) throw new EngineError(`take host ${name} out of the hosts' swarm`, new Error('no other host manages the hosts\' swarm (it needs a majority of its managers)'));
      await guard(`take host ${name} out of the hosts' swarm`, async () => {
        const members = (await manager.docker.listNodes()) as SwarmMember[];
        const member = members.find((m) => m.Status?.Addr === address || m.ManagerStatus?.Addr?.replace(/:\d+$/, '') === address);
        if (member === undefined) return;
        const node = manager.docker.getNode(member.ID);
        if (member.Spec?.Role === 'manager') {
          this.#o.log(`hosts: demoting ${name} (${address}), which does not answer, in the hosts' swarm`);
          await node.update({ _query: { version: member.Version?.Index }, _body: { ...member.Spec, Role: 'worker' } });
        }
        this.#o.log(`hosts: removing ${name} (${address}) from the hosts' swarm`);
        await node.remove({ force: true });
      });
    });
    this.#swarmChain = next.catch(() => undefined);
    return next;
  }

  /** A retired host that answers again leaves what it remembers of the hosts' swarm and joins it afresh. */
  async rejoin(name: string): Promise<void> {
    const host = await this.host(name);
    const state = (await guard(`rejoin host ${name}`, () => swarmOf(host.docker))).LocalNodeState;
    if (state !== undefined && state !== 'inactive') await guard(`rejoin host ${name}`, () => host.docker.swarmLeave({ force: true }));
    this.#joined.delete(name);
    await this.ensureSwarm([name]);
  }

  /**
   * Makes sure the host has `image`, copying it from the source engine once (hundreds of MB: the first
   * node on a host waits for it), and runs the host's guard from it before any node (host-guard.ts).
   */
  ensureImage(name: string, image: string): Promise<void> {
    const key = `${name}|${image}`;
    let done = this.#images.get(key);
    if (!done) {
      done = (async () => {
        const host = await this.host(name);
        if (!(await imageExists(host.docker, image))) {
          this.#o.log(`host ${name}: copying the node image ${image} to it (once)…`);
          await copyImage(this.#o.source, host.docker, image, `host ${name}`);
        }
        await this.#guard.ensure(host, image);
      })().catch((e: unknown) => {
        this.#images.delete(key);
        throw e;
      });
      this.#images.set(key, done);
    }
    return done;
  }

  /**
   * Whether the named host serves lxcfs (asked of its engine with `image`, the node image already
   * there; kept a minute): its nodes then get their flavor's view of /proc, as local nodes do.
   */
  async servesLxcfs(name: string, image: string, fresh = false): Promise<boolean> {
    const host = await this.host(name);
    return this.#lxcfs.serves(name, () => hostServesLxcfs(host.docker, image), fresh);
  }

  /**
   * Hands a node just started on the named host its cgroups when the host's engine remaps users (else
   * nothing to do); `image` is the node image, already on the host, which runs the helper (host-cgroups.ts).
   */
  async delegate(name: string, containerId: string, image: string): Promise<void> {
    await this.#cgroups.delegate(await this.host(name), containerId, image);
  }

  /**
   * Makes sure the named hosts are members of the hosts' swarm (formed on the first of them if no host
   * manages one yet) and returns a manager's engine, where swarm-scoped networks are made and seen.
   */
  ensureSwarm(names: readonly string[]): Promise<HostEngine> {
    const next = this.#swarmChain.then(() => this.#formSwarm([...new Set(names)].sort()));
    this.#swarmChain = next.catch(() => undefined);
    return next;
  }

  /** A manager of the hosts' swarm among the registered hosts (other than `except`), or undefined when none answers as one. */
  async manager(except?: string): Promise<HostEngine | undefined> {
    const engines = (await this.all()).filter((e) => e.name !== except);
    // The last manager found first: a host that does not answer costs a timeout on the way.
    engines.sort((a, b) => Number(b.name === this.#lastManager) - Number(a.name === this.#lastManager));
    for (const e of engines) {
      const swarm = await swarmOf(e.docker).catch(() => undefined);
      if (swarm?.LocalNodeState === 'active' && swarm.ControlAvailable === true) {
        this.#lastManager = e.name;
        return e;
      }
    }
    return undefined;
  }

  async #formSwarm(names: readonly string[]): Promise<HostEngine> {
    const wanted = await Promise.all(names.map((n) => this.host(n)));
    let manager = await this.manager();
    if (manager === undefined) {
      const first = wanted[0];
      if (first === undefined) throw new EngineError('form the hosts\' swarm', new Error('no host to form it on'));
      const state = (await guard(`form the hosts' swarm on ${first.name}`, () => swarmOf(first.docker))).LocalNodeState;
      if (state !== 'active') {
        this.#o.log(`hosts: forming the hosts' swarm on ${first.name} (${first.address})`);
        await guard(`form the hosts' swarm on ${first.name}`, () =>
          first.docker.swarmInit({
            ListenAddr: `0.0.0.0:${SWARM_PORT}`,
            AdvertiseAddr: `${first.address}:${SWARM_PORT}`,
            DefaultAddrPool: [HOST_SWARM_ADDRESS_POOL],
            SubnetSize: 24,
          }),
        );
      }
      manager = first;
      this.#joined.add(first.name);
    }
    for (const host of wanted) {
      if (this.#joined.has(host.name) || host.name === manager.name) continue;
      const state = (await guard(`join host ${host.name} to the hosts' swarm`, () => swarmOf(host.docker))).LocalNodeState;
      if (state !== 'active') await this.#join(manager, host);
      this.#joined.add(host.name);
    }
    return manager;
  }

  /**
   * Promotes worker hosts into the manager seats a lost host left (see emptySeats), so losing one
   * more manager host does not cost the hosts' swarm its quorum: only a worker that joined through a
   * host that manages now (readyToManage). `image` (the node image, on every host) reads a worker's
   * join address. One GET /info of a manager when every seat is taken.
   */
  fillManagerSeats(image: string): Promise<void> {
    const next = this.#swarmChain.then(async () => {
      const manager = await this.manager();
      if (manager === undefined || ((await swarmOf(manager.docker)).Managers ?? 0) >= MANAGERS) return;
      await guard("fill the hosts' swarm's manager seats", async () => {
        const members = (await manager.docker.listNodes()) as SwarmMember[];
        const seats = emptySeats(members, MANAGERS);
        const managers = managerAddresses(members);
        const engines = new Map((await this.all()).map((e) => [e.address, e]));
        let free = seats.free;
        for (const worker of seats.candidates) {
          if (free === 0) break;
          const engine = engines.get(worker.Status?.Addr ?? '');
          const view: WorkerView | undefined = engine && (await swarmOf(engine.docker).catch(() => undefined));
          if (!engine || !view) continue;
          const joinedThrough = await hostJoinAddress(engine.docker, image);
          if (!readyToManage(view, joinedThrough, managers)) {
            const why = view.LocalNodeState !== 'active' ? `its swarm state is ${view.LocalNodeState ?? 'unknown'}` : `it joined through ${joinedThrough ?? 'an address that could not be read'}, which manages no more, and Docker would have its promotion dial that address and fail`;
            this.#sayOnce(`seat:${engine.name}`, `hosts: ${engine.name} is left a worker of the hosts' swarm: ${why}`);
            continue;
          }
          this.#o.log(`hosts: promoting ${engine.name} (${engine.address}) to a manager of the hosts' swarm, in a lost manager's seat`);
          await manager.docker.getNode(worker.ID).update({ _query: { version: worker.Version?.Index }, _body: { ...worker.Spec, Role: 'manager' } });
          free--;
        }
      });
    });
    this.#swarmChain = next.catch(() => undefined);
    return next;
  }

  async #join(manager: HostEngine, host: HostEngine): Promise<void> {
    await guard(`join host ${host.name} to the hosts' swarm`, async () => {
      const swarm = (await manager.docker.swarmInspect()) as { JoinTokens: { Worker: string; Manager: string } };
      const managers = (await swarmOf(manager.docker)).Managers ?? 1;
      const token = managers < MANAGERS ? swarm.JoinTokens.Manager : swarm.JoinTokens.Worker;
      // Through the manager fewest hosts joined through: a worker can take a lost manager's seat only
      // if the host it joined through still manages (readyToManage), so the losses are spread.
      const live = [...managerAddresses((await manager.docker.listNodes()) as SwarmMember[])];
      const through = joinThrough(live, [...this.#joinedThrough.values()]) ?? manager.address;
      this.#o.log(`hosts: joining ${host.name} (${host.address}) to the hosts' swarm as a ${managers < MANAGERS ? 'manager' : 'worker'}, through ${through}`);
      await host.docker.swarmJoin({
        ListenAddr: `0.0.0.0:${SWARM_PORT}`,
        AdvertiseAddr: `${host.address}:${SWARM_PORT}`,
        RemoteAddrs: [`${through}:${SWARM_PORT}`],
        JoinToken: token,
      });
      this.#joinedThrough.set(host.name, through);
    });
  }

  /** Logs `line` unless it was the last said under `key`. */
  #sayOnce(key: string, line: string): void {
    if (this.#said.get(key) === line) return;
    this.#said.set(key, line);
    this.#o.log(line);
  }
}

async function swarmOf(docker: Dockerode): Promise<NonNullable<SwarmInfo['Swarm']>> {
  return ((await docker.info()) as SwarmInfo).Swarm ?? {};
}

async function guard<T>(operation: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof EngineError) throw e;
    throw new EngineError(operation, new Error(describeCause(e)));
  }
}
