import type Dockerode from 'dockerode';
import { EngineError } from '../core/errors.js';
import type { ObservedCluster, ObservedNode, ObservedSwarmMember, SwarmState } from '../core/planner.js';
import { LABEL } from './labels.js';

export interface ObserveInput {
  /** The engines that run the cluster's node containers (the local one, or the hosts of its nodes). */
  readonly engines: readonly Dockerode[];
  /** Where the cluster's network is listed (default: the first engine); undefined when none can say (no host manages a swarm). */
  readonly networks?: Dockerode | undefined;
  readonly instance: string;
  readonly clusterId: string;
  readonly network: string;
  /** A quick-timeout client for node `index`'s inner engine, given its container; undefined when it cannot be reached (not published). */
  readonly node: (index: number, container: Dockerode.ContainerInfo) => Dockerode | undefined;
  readonly workloadImage: string;
  /** Also list the swarm's members and their running tasks (default true; usage lists tasks itself). */
  readonly withMembers?: boolean;
}

/** Reads a cluster's state from the host engine (by label) and from each node's inner engine. */
export async function observeCluster(input: ObserveInput): Promise<ObservedCluster> {
  const filters = { label: [`${LABEL.instance}=${input.instance}`, `${LABEL.clusterId}=${input.clusterId}`] };
  let containers: Dockerode.ContainerInfo[];
  let volumes: Dockerode.VolumeInspectInfo[];
  let networks: Dockerode.NetworkInspectInfo[];
  try {
    const networkEngine = 'networks' in input ? input.networks : input.engines[0];
    const [found, n] = await Promise.all([
      Promise.all(input.engines.map((d) => Promise.all([d.listContainers({ all: true, filters }), d.listVolumes({ filters })]))),
      networkEngine ? networkEngine.listNetworks({ filters }) : Promise.resolve([]),
    ]);
    containers = found.flatMap(([c]) => c);
    volumes = found.flatMap(([, v]) => v.Volumes ?? []);
    networks = n;
  } catch (e) {
    throw new EngineError('observe the cluster', e);
  }

  const seen = await Promise.all(
    containers.map(async (info) => {
      const index = Number(info.Labels[LABEL.nodeIndex]);
      const running = info.State === 'running';
      const address = info.NetworkSettings?.Networks?.[input.network]?.IPAddress || null;
      const base = { index, containerId: info.Id, running, address };
      const client = running ? input.node(index, info) : undefined;
      const { manages, ...inner } = client ? await observeInner(client, input.workloadImage) : ENGINE_DOWN;
      return { node: { ...base, ...inner } satisfies ObservedNode, client: manages ? client : undefined };
    }),
  );
  seen.sort((a, b) => a.node.index - b.node.index);

  // The members as the first node that manages the swarm lists them (node 0 unless it is gone or no longer manages).
  let members: ObservedSwarmMember[] | null = null;
  let membersFrom: number | null = null;
  if (input.withMembers !== false) {
    for (const { node, client } of seen) {
      if (client === undefined || !(node.index >= 0)) continue;
      members = await listMembers(client);
      if (members !== null) {
        membersFrom = node.index;
        break;
      }
    }
  }

  return {
    networkExists: networks.some((n) => n.Name === input.network),
    nodes: seen.map((s) => s.node).filter((n) => Number.isInteger(n.index) && n.index >= 0),
    volumes: volumes.map((v) => Number(v.Labels?.[LABEL.nodeIndex])).filter((i) => Number.isInteger(i) && i >= 0),
    members,
    membersFrom,
    managing: seen.filter((x) => x.client !== undefined).map((x) => x.node.index),
  };
}

/** What a node's engine says of itself; `manages`: it is a swarm manager (Swarm.ControlAvailable). */
type InnerState = Pick<ObservedNode, 'engineUp' | 'swarm' | 'swarmNodeId' | 'hasWorkloadImage' | 'procStale' | 'hostname'> & { readonly manages: boolean };

/** What is known of a node whose engine is not running or does not answer. */
const ENGINE_DOWN: InnerState = Object.freeze({ engineUp: false, swarm: null, swarmNodeId: null, hasWorkloadImage: false, procStale: false, hostname: null, manages: false });

/** What node's engine `client` says of itself (its swarm state, the workload image, its name…); ENGINE_DOWN when it does not answer. */
export async function observeInner(client: Dockerode, workloadImage: string): Promise<InnerState> {
  try {
    const info = (await client.info()) as { Name?: string; MemTotal?: number; Swarm?: { LocalNodeState?: string; NodeID?: string; ControlAvailable?: boolean } };
    const state = (info.Swarm?.LocalNodeState ?? 'inactive') as SwarmState;
    let hasWorkloadImage = true;
    try {
      await client.getImage(workloadImage).inspect();
    } catch {
      hasWorkloadImage = false;
    }
    // An engine reads MemTotal from /proc/meminfo each time: 0 means the file no longer answers.
    const procStale = info.MemTotal === 0;
    return { engineUp: true, swarm: state, swarmNodeId: info.Swarm?.NodeID || null, hasWorkloadImage, procStale, hostname: info.Name ?? null, manages: state === 'active' && info.Swarm?.ControlAvailable === true };
  } catch {
    return ENGINE_DOWN;
  }
}

type SwarmNode = { ID: string; Status?: { State?: string }; Spec?: { Role?: string; Availability?: string } };
type SwarmTask = { NodeID?: string; Status?: { State?: string } };

async function listMembers(manager: Dockerode): Promise<ObservedSwarmMember[] | null> {
  try {
    const [list, tasks] = await Promise.all([
      manager.listNodes() as Promise<SwarmNode[]>,
      manager.listTasks({ filters: { 'desired-state': ['running'] } }) as Promise<SwarmTask[]>,
    ]);
    const running = new Map<string, number>();
    for (const t of tasks) if (t.NodeID && t.Status?.State === 'running') running.set(t.NodeID, (running.get(t.NodeID) ?? 0) + 1);
    return list.map((n) => ({
      id: n.ID,
      ready: n.Status?.State === 'ready',
      role: n.Spec?.Role === 'manager' ? 'manager' : 'worker',
      availability: n.Spec?.Availability ?? 'active',
      tasks: running.get(n.ID) ?? 0,
    }));
  } catch {
    return null;
  }
}
