import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import type Dockerode from 'dockerode';
import { remappedRoot } from '../src/engine/cgroup-delegation.js';

/** Host memory from /proc/meminfo, in bytes. */
export function memInfo(): { totalBytes: number; availableBytes: number } {
  const text = readFileSync('/proc/meminfo', 'utf8');
  const kib = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? Number.NaN) * 1024;
  return { totalBytes: kib('MemTotal'), availableBytes: kib('MemAvailable') };
}

/** Aggregate CPU jiffies from /proc/stat (busy = everything but idle and iowait). */
export function cpuTimes(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = (f[3] ?? 0) + (f[4] ?? 0);
  return { busy: total - idle, total };
}

/** Share of all CPUs that were busy between two `cpuTimes()` readings, in CPUs (0 … nproc). */
export function cpusBusy(a: { busy: number; total: number }, b: { busy: number; total: number }, nproc = os.availableParallelism()): number {
  const total = b.total - a.total;
  return total > 0 ? ((b.busy - a.busy) / total) * nproc : 0;
}

/** VmRSS and VmHWM (peak) of a process, in bytes; undefined once it is gone. */
export function processMemory(pid: number): { rssBytes: number; hwmBytes: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? Number.NaN) * 1024;
    return { rssBytes: kib('VmRSS'), hwmBytes: kib('VmHWM') };
  } catch {
    return undefined;
  }
}

/** CPU seconds (user + system) a process has used; NaN once it is gone. */
export function processCpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in USER_HZ (100 on Linux)
  } catch {
    return Number.NaN;
  }
}

/** A container's memory as the host's cgroup accounts it (bytes). */
export interface ContainerMemory {
  /** usage − inactive file cache: what `docker stats` shows and what the kernel cannot easily reclaim. */
  readonly workingSetBytes: number;
  readonly usageBytes: number;
  readonly rssBytes: number;
  readonly cacheBytes: number;
  readonly source: 'cgroup-v1' | 'cgroup-v2';
}

function statMap(text: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const line of text.split('\n')) {
    const [k, v] = line.split(' ');
    if (k && v) m.set(k, Number(v));
  }
  return m;
}

/**
 * Host-side cgroup memory of a Docker container (cgroupfs driver, v1 or v2; systemd driver too).
 * Host-side figures on purpose: inside a node, lxcfs shows the flavor's view instead.
 */
export function containerMemory(id: string): ContainerMemory | undefined {
  const v1 = [`/sys/fs/cgroup/memory/docker/${id}`, `/sys/fs/cgroup/memory/system.slice/docker-${id}.scope`].find((d) => existsSync(`${d}/memory.usage_in_bytes`));
  if (v1) {
    const usage = Number(readFileSync(`${v1}/memory.usage_in_bytes`, 'utf8').trim());
    const stat = statMap(readFileSync(`${v1}/memory.stat`, 'utf8'));
    const inactive = stat.get('total_inactive_file') ?? stat.get('inactive_file') ?? 0;
    return {
      workingSetBytes: Math.max(0, usage - inactive),
      usageBytes: usage,
      rssBytes: stat.get('total_rss') ?? stat.get('rss') ?? Number.NaN,
      cacheBytes: stat.get('total_cache') ?? stat.get('cache') ?? Number.NaN,
      source: 'cgroup-v1',
    };
  }
  const v2 = [`/sys/fs/cgroup/docker/${id}`, `/sys/fs/cgroup/system.slice/docker-${id}.scope`].find((d) => existsSync(`${d}/memory.current`));
  if (v2) {
    const usage = Number(readFileSync(`${v2}/memory.current`, 'utf8').trim());
    const stat = statMap(readFileSync(`${v2}/memory.stat`, 'utf8'));
    return {
      workingSetBytes: Math.max(0, usage - (stat.get('inactive_file') ?? 0)),
      usageBytes: usage,
      rssBytes: stat.get('anon') ?? Number.NaN,
      cacheBytes: stat.get('file') ?? Number.NaN,
      source: 'cgroup-v2',
    };
  }
  return undefined;
}

/** What the figures were measured on. */
export interface MachineDescription {
  readonly hostname: string;
  readonly nproc: number;
  readonly cpuModel: string;
  readonly memTotalBytes: number;
  readonly memAvailableAtStartBytes: number;
  readonly loadAverageAtStart: readonly number[];
  readonly kernel: string;
  readonly os: string;
  readonly node: string;
  readonly docker: { readonly version: string; readonly storageDriver: string; readonly cgroupDriver: string; readonly cgroupVersion: string };
  /** Containers running at the start that are not the benchmark's (other work sharing the machine). */
  readonly otherContainersRunning: number;
  readonly lxcfs: boolean;
  /** Where nodes ran: Carina's userns node engine, or the host engine (absent in runs before issue 11: host). */
  readonly nodeEngine?: 'userns' | 'host';
  readonly carina: { readonly version: string; readonly commit: string | null; readonly dirty: boolean | null };
}

function osName(): string {
  try {
    return /^PRETTY_NAME="?([^"\n]*)"?/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? os.type();
  } catch {
    return os.type();
  }
}

function git(args: string[]): string | null {
  try {
    return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

export async function describeMachine(docker: Dockerode, carinaVersion: string): Promise<MachineDescription> {
  const [version, info, running] = await Promise.all([
    docker.version() as Promise<{ Version: string }>,
    docker.info() as Promise<{ Driver?: string; CgroupDriver?: string; CgroupVersion?: string; SecurityOptions?: string[]; DockerRootDir?: string }>,
    docker.listContainers(),
  ]);
  const mem = memInfo();
  // --no-optional-locks: read-only, status must not even refresh the index.
  const status = git(['--no-optional-locks', 'status', '--porcelain', '--untracked-files=no']);
  return {
    hostname: os.hostname(),
    nproc: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memTotalBytes: mem.totalBytes,
    memAvailableAtStartBytes: mem.availableBytes,
    loadAverageAtStart: os.loadavg().map((l) => Math.round(l * 100) / 100),
    kernel: os.release(),
    os: osName(),
    node: process.version,
    docker: { version: version.Version, storageDriver: info.Driver ?? '?', cgroupDriver: info.CgroupDriver ?? '?', cgroupVersion: info.CgroupVersion ?? '?' },
    otherContainersRunning: running.filter((c) => !Object.keys(c.Labels ?? {}).some((k) => k === 'carina.bench') && !/^bench-/.test(c.Labels?.['carina.instance'] ?? '')).length,
    lxcfs: existsSync('/var/lib/lxcfs/proc/meminfo'),
    nodeEngine: remappedRoot(info) ? 'userns' : 'host',
    carina: { version: carinaVersion, commit: git(['rev-parse', '--short=12', 'HEAD']), dirty: status === null ? null : status.length > 0 },
  };
}
