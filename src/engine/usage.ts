import type Dockerode from 'dockerode';
import type { ClusterUsage, NodeUsage } from '../core/autoscale.js';

type Task = { NodeID?: string; Status?: { State?: string }; Spec?: { Resources?: { Reservations?: { NanoCPUs?: number; MemoryBytes?: number } } } };
type Stats = {
  cpu_stats?: { cpu_usage?: { total_usage?: number }; system_cpu_usage?: number; online_cpus?: number };
  precpu_stats?: { cpu_usage?: { total_usage?: number }; system_cpu_usage?: number };
  memory_stats?: { usage?: number; stats?: { cache?: number; total_inactive_file?: number } };
};

export interface UsageInput {
  /** Node index → its inner engine and its swarm node id. */
  readonly nodes: ReadonlyArray<{ index: number; client: Dockerode; swarmNodeId: string | null; container: Dockerode.Container }>;
  readonly manager: Dockerode | undefined;
  /** Also sample CPU and memory use of each node container (takes about a second). */
  readonly withStats: boolean;
}

/**
 * Reservations per node: those of running swarm tasks (`--reserve-cpu`, `--reserve-memory`), plus
 * those of plain containers (`--memory-reservation`, and `--cpus` counted as a CPU reservation).
 */
export async function collectUsage(input: UsageInput): Promise<ClusterUsage> {
  const tasks = input.manager ? ((await input.manager.listTasks({ filters: { 'desired-state': ['running'] } })) as Task[]) : [];
  const nodes = await Promise.all(input.nodes.map((n) => nodeUsage(n, tasks, input.withStats)));
  return { nodes: nodes.sort((a, b) => a.index - b.index) };
}

async function nodeUsage(node: UsageInput['nodes'][number], tasks: Task[], withStats: boolean): Promise<NodeUsage> {
  let reservedNanoCpus = 0;
  let reservedMemoryBytes = 0;
  let taskCount = 0;
  for (const t of tasks) {
    if (!node.swarmNodeId || t.NodeID !== node.swarmNodeId || t.Status?.State !== 'running') continue;
    taskCount++;
    reservedNanoCpus += t.Spec?.Resources?.Reservations?.NanoCPUs ?? 0;
    reservedMemoryBytes += t.Spec?.Resources?.Reservations?.MemoryBytes ?? 0;
  }
  const containers = await node.client.listContainers();
  const plain = containers.filter((c) => !c.Labels['com.docker.swarm.task.id']);
  const inspected = await Promise.all(plain.map((c) => node.client.getContainer(c.Id).inspect().catch(() => undefined)));
  for (const info of inspected) {
    reservedNanoCpus += info?.HostConfig.NanoCpus ?? 0;
    reservedMemoryBytes += info?.HostConfig.MemoryReservation ?? 0;
  }
  const used = withStats ? await sample(node.container) : { usedNanoCpus: null, usedMemoryBytes: null };
  return { index: node.index, reservedNanoCpus, reservedMemoryBytes, ...used, containers: containers.length, tasks: taskCount };
}

async function sample(container: Dockerode.Container): Promise<{ usedNanoCpus: number | null; usedMemoryBytes: number | null }> {
  try {
    const s = (await container.stats({ stream: false })) as Stats;
    const cpuDelta = (s.cpu_stats?.cpu_usage?.total_usage ?? 0) - (s.precpu_stats?.cpu_usage?.total_usage ?? 0);
    const systemDelta = (s.cpu_stats?.system_cpu_usage ?? 0) - (s.precpu_stats?.system_cpu_usage ?? 0);
    const cpus = s.cpu_stats?.online_cpus ?? 1;
    const usedNanoCpus = systemDelta > 0 && cpuDelta >= 0 ? Math.round((cpuDelta / systemDelta) * cpus * 1e9) : null;
    const mem = s.memory_stats;
    const usedMemoryBytes = mem?.usage === undefined ? null : mem.usage - (mem.stats?.total_inactive_file ?? mem.stats?.cache ?? 0);
    return { usedNanoCpus, usedMemoryBytes };
  } catch {
    return { usedNanoCpus: null, usedMemoryBytes: null };
  }
}
