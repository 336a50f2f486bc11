import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CommandRunner } from './host-setup.js';

/** Debian's lxcfs mount point. */
export const LXCFS_DIR = '/var/lib/lxcfs';

/**
 * What is at an lxcfs mount point: a live lxcfs (`serving`), a FUSE mount whose lxcfs process has
 * ended (`stale`: every access fails with "Transport endpoint is not connected", and a bind mount of
 * its files makes container creation fail), or nothing (`absent`).
 */
export type LxcfsState = 'serving' | 'stale' | 'absent';

/** How the state is read; the defaults read /proc/mounts and the mount's meminfo. */
export interface LxcfsProbe {
  readonly mounts: () => string;
  readonly readable: (path: string) => boolean;
}

const systemProbe: LxcfsProbe = {
  mounts: () => readFileSync('/proc/mounts', 'utf8'),
  readable: (path) => {
    try {
      accessSync(path, constants.R_OK);
      return true;
    } catch {
      return false;
    }
  },
};

/** The state of the lxcfs mount at `dir`. */
export function lxcfsState(dir: string, probe: LxcfsProbe = systemProbe): LxcfsState {
  let mounted: boolean;
  try {
    mounted = probe
      .mounts()
      .split('\n')
      .some((line) => {
        const [, mountPoint, type] = line.split(' ');
        return mountPoint === dir && type === 'fuse.lxcfs';
      });
  } catch {
    return 'absent';
  }
  if (!mounted) return 'absent';
  return probe.readable(join(dir, 'proc', 'meminfo')) ? 'serving' : 'stale';
}

/** Inputs of ensureLxcfs. */
export interface EnsureLxcfsOptions {
  readonly dir?: string;
  readonly logFile: string;
  readonly run: CommandRunner;
  readonly log: (line: string) => void;
  readonly probe?: LxcfsProbe;
  /** Whether /dev/fuse exists (lxcfs needs it). */
  readonly fuseDevice?: () => boolean;
}

/**
 * Makes sure lxcfs serves `dir`: a live one is used as it is, a stale mount (its process ended, as
 * after a crash or when a machine's processes were killed) is unmounted, and lxcfs is started when
 * installed. Returns the directory, or undefined (with a logged reason) when nodes will have to
 * report the host's memory.
 */
export async function ensureLxcfs(opts: EnsureLxcfsOptions): Promise<string | undefined> {
  const dir = opts.dir ?? LXCFS_DIR;
  const probe = opts.probe ?? systemProbe;
  const state = lxcfsState(dir, probe);
  if (state === 'serving') return dir;
  if (state === 'stale') {
    opts.log(`lxcfs at ${dir} is a stale mount (its process has ended): unmounting it and starting lxcfs again`);
    // Lazy: nodes created on the old mount may still hold it; they see their files again once re-created.
    const r = await opts.run.run('umount', ['-l', dir]);
    if (r.code !== 0 && lxcfsState(dir, probe) !== 'absent') {
      opts.log(`could not unmount the stale lxcfs at ${dir} (${r.stderr.trim()}): nodes will report the host memory`);
      return undefined;
    }
  }
  if (!(await opts.run.onPath('lxcfs')) || !(opts.fuseDevice ?? (() => existsSync('/dev/fuse')))()) {
    opts.log('lxcfs is not available (apt-get install -y lxcfs; needs /dev/fuse): nodes will report the host memory instead of their flavor');
    return undefined;
  }
  await mkdir(dir, { recursive: true });
  await opts.run.startDetached('lxcfs', [dir], opts.logFile);
  for (let i = 0; i < 50; i++) {
    if (lxcfsState(dir, probe) === 'serving') return dir;
    await sleep(100);
  }
  opts.log(`lxcfs did not come up at ${dir} (see ${opts.logFile}): nodes will report the host memory`);
  return undefined;
}

/**
 * A function that returns the lxcfs directory to bind into a node being created, checking first that
 * lxcfs still serves it and starting it again if it ended (one start at a time).
 */
export function lxcfsKeeper(opts: EnsureLxcfsOptions): () => Promise<string | undefined> {
  const dir = opts.dir ?? LXCFS_DIR;
  let pending: Promise<string | undefined> | undefined;
  return () => {
    if (lxcfsState(dir, opts.probe) === 'serving') return Promise.resolve(dir);
    pending ??= ensureLxcfs(opts).finally(() => {
      pending = undefined;
    });
    return pending;
  };
}
