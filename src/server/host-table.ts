import type { HostUsage } from '../core/host-capacity.js';

/** The columns of `carina-server hosts list`. */
export const HOST_HEADERS = Object.freeze(['NAME', 'ADDRESS', 'STATE', 'NODES', 'CPU', 'MEMORY', 'LAST-SEEN']);

const GiB = 1024 ** 3;
const figure = (n: number) => String(Number(n.toFixed(2)));

/** nanoCPUs as CPUs, up to two decimals: `2`, `1.5`. */
export const cpuCount = (nanoCpus: number): string => figure(nanoCpus / 1e9);

/** Bytes as GiB, up to two decimals: `23.54 GiB`. */
export const memoryGib = (bytes: number): string => `${figure(bytes / GiB)} GiB`;

/** `reserved / allocatable` in CPUs, e.g. `4 / 8`. */
const cpuFigures = (reservedNanoCpus: number, allocatableNanoCpus: number): string => `${cpuCount(reservedNanoCpus)} / ${cpuCount(allocatableNanoCpus)}`;

/** `reserved / allocatable GiB`, e.g. `8 / 15.52 GiB`. */
const memoryFigures = (reservedBytes: number, allocatableBytes: number): string => `${figure(reservedBytes / GiB)} / ${memoryGib(allocatableBytes)}`;

/** One row of the table, in the order of HOST_HEADERS. */
export function hostRow(u: HostUsage): string[] {
  const { host } = u;
  return [
    host.name,
    host.dockerHost,
    host.state,
    String(u.nodes),
    cpuFigures(u.reservedNanoCpus, host.allocatableNanoCpus),
    memoryFigures(u.reservedMemoryBytes, host.allocatableMemoryBytes),
    host.lastSeenAt?.toISOString() ?? 'never',
  ];
}

/** The table's lines, tab-separated like the other admin tables (`accounts list`). */
export function hostTable(usage: readonly HostUsage[]): string[] {
  return [HOST_HEADERS.join('\t'), ...usage.map((u) => hostRow(u).join('\t'))];
}

/** `hosts list --json`: one object per host, raw figures (nanoCPUs, bytes) for scripts. */
export function hostJson(u: HostUsage) {
  const { host } = u;
  return {
    name: host.name,
    docker_host: host.dockerHost,
    tls_dir: host.tlsDir,
    state: host.state,
    nodes: u.nodes,
    reserved_nano_cpus: u.reservedNanoCpus,
    allocatable_nano_cpus: host.allocatableNanoCpus,
    reserved_memory_bytes: u.reservedMemoryBytes,
    allocatable_memory_bytes: host.allocatableMemoryBytes,
    last_seen_at: host.lastSeenAt?.toISOString() ?? null,
    created_at: host.createdAt.toISOString(),
  };
}
