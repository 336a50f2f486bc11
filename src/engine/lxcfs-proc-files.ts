/**
 * The /proc files lxcfs virtualises per container; bind-mounted over a node's own so it sees its
 * flavor. The engine binds them when it creates a node; keeping lxcfs itself running is the host's
 * business (src/host/lxcfs.ts).
 */
export const LXCFS_PROC_FILES = Object.freeze(['meminfo', 'cpuinfo', 'stat', 'uptime', 'loadavg', 'diskstats', 'swaps']);
