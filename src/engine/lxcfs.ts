import { existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CommandRunner } from './host-setup.js';

/** Debian's lxcfs mount point. */
export const LXCFS_DIR = '/var/lib/lxcfs';

/** The /proc files lxcfs virtualises per container; bind-mounted over a node's own so it sees its flavor. */
export const LXCFS_PROC_FILES = Object.freeze(['meminfo', 'cpuinfo', 'stat', 'uptime', 'loadavg', 'diskstats', 'swaps']);

/** True when an lxcfs FUSE filesystem is mounted at `dir` (per /proc/mounts). */
export function lxcfsMounted(dir: string, mounts = () => readFileSync('/proc/mounts', 'utf8')): boolean {
  try {
    return mounts()
      .split('\n')
      .some((line) => {
        const [, mountPoint, type] = line.split(' ');
        return mountPoint === dir && type === 'fuse.lxcfs';
      });
  } catch {
    return false;
  }
}

/**
 * Makes sure lxcfs serves `dir`, starting it when it is installed but not running. Returns the
 * directory, or undefined (with a logged reason) when nodes will have to report the host's memory.
 */
export async function ensureLxcfs(opts: { dir?: string; logFile: string; run: CommandRunner; log: (line: string) => void }): Promise<string | undefined> {
  const dir = opts.dir ?? LXCFS_DIR;
  if (lxcfsMounted(dir)) return dir;
  if (!(await opts.run.onPath('lxcfs')) || !existsSync('/dev/fuse')) {
    opts.log('lxcfs is not available (apt-get install -y lxcfs; needs /dev/fuse): nodes will report the host memory instead of their flavor');
    return undefined;
  }
  await mkdir(dir, { recursive: true });
  await opts.run.startDetached('lxcfs', [dir], opts.logFile);
  for (let i = 0; i < 50; i++) {
    if (lxcfsMounted(dir) && existsSync(join(dir, 'proc', 'meminfo'))) return dir;
    await sleep(100);
  }
  opts.log(`lxcfs did not come up at ${dir} (see ${opts.logFile}): nodes will report the host memory`);
  return undefined;
}
