/**
 * The /proc files lxcfs virtualises per container; bind-mounted over a node's own so it sees its
 * flavor. The engine binds them when it creates a node; keeping lxcfs itself running is the host's
 * business (src/host/lxcfs.ts).
 */
export const LXCFS_PROC_FILES = Object.freeze(['meminfo', 'cpuinfo', 'stat', 'uptime', 'loadavg', 'diskstats', 'swaps']);

/** The binds that give a node its flavor's view of /proc from the lxcfs mounted at `dir`: local nodes and nodes on hosts alike. */
export function lxcfsBinds(dir: string): string[] {
  return LXCFS_PROC_FILES.map((f) => `${dir}/proc/${f}:/proc/${f}:ro`);
}
