import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CommandRunner } from './host-setup.js';
import { ensureLxcfs, lxcfsKeeper, lxcfsState, type LxcfsProbe } from './lxcfs.js';

// A directory of the test's own: ensureLxcfs creates the mount point, and the machine's real
// /var/lib/lxcfs may be a live or stale mount.
const DIR = join(mkdtempSync(join(tmpdir(), 'carina-lxcfs-test-')), 'lxcfs');
const LXCFS_LINE = `lxcfs ${DIR} fuse.lxcfs rw,nosuid,nodev,relatime,user_id=0,group_id=0,allow_other 0 0`;

/** A simulated host: a mount table, whether the mount answers, and the commands run against it. */
function host(initial: { mounted: boolean; alive: boolean; lxcfsInstalled?: boolean; umountFails?: boolean }) {
  const state = { ...initial };
  const commands: string[] = [];
  const probe: LxcfsProbe = {
    mounts: () => ['proc /proc proc rw,nosuid 0 0', ...(state.mounted ? [LXCFS_LINE] : [])].join('\n'),
    readable: (path) => state.mounted && state.alive && path === `${DIR}/proc/meminfo`,
  };
  const run: CommandRunner = {
    run: (command, args) => {
      commands.push([command, ...args].join(' '));
      if (command === 'umount' && !state.umountFails) state.mounted = false;
      return Promise.resolve({ code: state.umountFails ? 32 : 0, stdout: '', stderr: state.umountFails ? 'umount: target is busy' : '' });
    },
    onPath: (command) => Promise.resolve(command === 'lxcfs' && state.lxcfsInstalled !== false),
    startDetached: (command, args) => {
      commands.push(`start ${[command, ...args].join(' ')}`);
      state.mounted = true;
      state.alive = true;
      return Promise.resolve();
    },
  };
  const logs: string[] = [];
  const opts = { dir: DIR, logFile: join(DIR, '..', 'lxcfs.log'), run, probe, log: (l: string) => logs.push(l), fuseDevice: () => true };
  return { state, commands, logs, opts, probe };
}

describe('lxcfs state', () => {
  it('is serving when the fuse.lxcfs mount answers', () => {
    expect(lxcfsState(DIR, host({ mounted: true, alive: true }).probe)).toBe('serving');
  });

  it('is stale when the mount is listed but its process has ended', () => {
    expect(lxcfsState(DIR, host({ mounted: true, alive: false }).probe)).toBe('stale');
  });

  it('is absent for another directory, another filesystem type, or unreadable mounts', () => {
    const { probe } = host({ mounted: true, alive: true });
    expect(lxcfsState('/srv/lxcfs', probe)).toBe('absent');
    expect(lxcfsState('/proc', probe)).toBe('absent');
    const unreadable: LxcfsProbe = {
      mounts: () => {
        throw new Error('EACCES');
      },
      readable: () => true,
    };
    expect(lxcfsState(DIR, unreadable)).toBe('absent');
  });
});

describe('ensureLxcfs', () => {
  it('uses a live lxcfs as it is', async () => {
    const h = host({ mounted: true, alive: true });
    expect(await ensureLxcfs(h.opts)).toBe(DIR);
    expect(h.commands).toEqual([]);
  });

  it('starts lxcfs when nothing is mounted', async () => {
    const h = host({ mounted: false, alive: false });
    expect(await ensureLxcfs(h.opts)).toBe(DIR);
    expect(h.commands).toEqual([`start lxcfs ${DIR}`]);
  });

  it('unmounts a stale mount left by an ended lxcfs, then starts a new one', async () => {
    const h = host({ mounted: true, alive: false });
    expect(await ensureLxcfs(h.opts)).toBe(DIR);
    expect(h.commands).toEqual([`umount -l ${DIR}`, `start lxcfs ${DIR}`]);
    expect(h.logs.join('\n')).toMatch(/stale mount/);
  });

  it('gives up (nodes report host memory) when the stale mount cannot be removed', async () => {
    const h = host({ mounted: true, alive: false, umountFails: true });
    expect(await ensureLxcfs(h.opts)).toBeUndefined();
    expect(h.commands).toEqual([`umount -l ${DIR}`]);
    expect(h.logs.join('\n')).toMatch(/could not unmount.*target is busy/);
  });

  it('says how to install lxcfs when it is missing', async () => {
    const h = host({ mounted: false, alive: false, lxcfsInstalled: false });
    expect(await ensureLxcfs(h.opts)).toBeUndefined();
    expect(h.logs.join('\n')).toMatch(/apt-get install -y lxcfs/);
  });
});

describe('lxcfsKeeper', () => {
  it('starts lxcfs again when it ended while the control plane runs, once for concurrent callers', async () => {
    const h = host({ mounted: true, alive: true });
    const keeper = lxcfsKeeper(h.opts);
    expect(await keeper()).toBe(DIR);
    h.state.alive = false; // lxcfs was killed
    expect(await Promise.all([keeper(), keeper(), keeper()])).toEqual([DIR, DIR, DIR]);
    expect(h.commands).toEqual([`umount -l ${DIR}`, `start lxcfs ${DIR}`]);
  });
});
