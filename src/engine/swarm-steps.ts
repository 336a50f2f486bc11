import type Dockerode from 'dockerode';
import type { EngineCluster, EngineNodes } from '../core/ports.js';
import type { NodeRole } from '../core/types.js';
import { guard, ignore404, updateMember } from './engine-calls.js';
import type { NodesOf } from './host-operations.js';
import type { NodeSites } from './node-sites.js';
import { joinSwarm } from './swarm-join.js';

const SWARM_PORT = 2377;

/**
 * The swarm steps the planner asks for, on a cluster's nodes' own engines: form the swarm, recover it
 * from its last manager, join a node, change a member's role or availability, take members out.
 * `via` is the node whose engine manages the swarm for the step.
 */
export class SwarmSteps {
  readonly #sites: NodeSites;

  constructor(sites: NodeSites) {
    this.#sites = sites;
  }

  async init(c: EngineNodes): Promise<void> {
    const addr = await this.#sites.address(c, 0);
    await guard('initialise the swarm', async () => {
      await (await this.#sites.inner(c, 0)).swarmInit({
        ListenAddr: `0.0.0.0:${SWARM_PORT}`,
        AdvertiseAddr: `${addr}:${SWARM_PORT}`,
        ForceNewCluster: false,
        // Heartbeats every 2 s (default 5 s): nodes are seen Ready again sooner after a restart.
        Spec: { Dispatcher: { HeartbeatPeriod: 2_000_000_000 } },
      });
    });
  }

  async forceNewCluster(c: EngineCluster, via: number): Promise<void> {
    const addr = await this.#sites.address(c, via);
    await guard(`recover the swarm on node ${via}`, async () => {
      await (await this.#sites.inner(c, via)).swarmInit({ ListenAddr: `0.0.0.0:${SWARM_PORT}`, AdvertiseAddr: `${addr}:${SWARM_PORT}`, ForceNewCluster: true });
    });
    this.#sites.where.setManager(c.id, via);
  }

  async join(c: EngineNodes, index: number, role: NodeRole, via: number): Promise<void> {
    const [managerAddr, addr] = await Promise.all([this.#sites.address(c, via), this.#sites.address(c, index)]);
    await guard(`join node ${index} to the swarm`, async () => {
      const swarm = (await (await this.#manager(c, via)).swarmInspect()) as { JoinTokens: { Worker: string; Manager: string } };
      const joining = await this.#sites.inner(c, index);
      const state = ((await joining.info()) as { Swarm?: { LocalNodeState?: string } }).Swarm?.LocalNodeState;
      if (state && state !== 'inactive') await joining.swarmLeave({ force: true });
      await joinSwarm({
        join: () =>
          joining.swarmJoin({
            ListenAddr: `0.0.0.0:${SWARM_PORT}`,
            AdvertiseAddr: `${addr}:${SWARM_PORT}`,
            RemoteAddrs: [`${managerAddr}:${SWARM_PORT}`],
            JoinToken: role === 'manager' ? swarm.JoinTokens.Manager : swarm.JoinTokens.Worker,
          }),
        state: async () => {
          const s = ((await joining.info()) as { Swarm?: { LocalNodeState?: string; Error?: string } }).Swarm;
          return { state: s?.LocalNodeState ?? 'inactive', error: s?.Error };
        },
      });
    });
  }

  async setRole(c: EngineCluster, index: number, memberId: string, role: NodeRole, via: number): Promise<void> {
    await guard(role === 'manager' ? `promote node ${index}` : `demote node ${index}`, async () => updateMember(await this.#manager(c, via), memberId, { Role: role }));
  }

  async removeMember(c: EngineCluster, memberId: string, via: number): Promise<void> {
    await guard('remove a stale swarm member', async () => {
      const manager = await this.#manager(c, via);
      // A manager is demoted first: the engine refuses to remove a member of the raft cluster.
      await ignore404(() => updateMember(manager, memberId, { Role: 'worker' }, (spec) => spec.Role === 'manager'));
      await ignore404(() => manager.getNode(memberId).remove({ force: true }));
    });
  }

  async drain(c: EngineCluster, memberId: string, via: number): Promise<void> {
    await guard('drain a node', async () => updateMember(await this.#manager(c, via), memberId, { Availability: 'drain' }));
  }

  /** Node `index` leaves the swarm (if it still can) and its member is removed: what precedes removing a surplus node. */
  async leave(c: EngineCluster, index: number, memberId: string, via: number): Promise<void> {
    await guard(`take node ${index} out of the swarm`, async () => {
      await (await this.#sites.inner(c, index)).swarmLeave({ force: false }).catch(() => undefined); // gone or not a member: fine
      await ignore404(async () => (await this.#manager(c, via)).getNode(memberId).remove({ force: true }));
    });
  }

  /** A client of the engine through which a cluster's swarm is managed: node `via`. */
  #manager(c: NodesOf, via: number): Promise<Dockerode> {
    return this.#sites.inner(c, via);
  }
}
