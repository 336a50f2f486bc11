import { chown, readFile, stat } from 'node:fs/promises';
import type Dockerode from 'dockerode';
import { EngineError } from '../core/errors.js';

/** The host user and group that a `--userns-remap` engine maps its containers' root to. */
export interface RemappedRoot {
  readonly uid: number;
  readonly gid: number;
}

/**
 * The remapped root of an engine, from its `docker info`: a remapping engine lists `name=userns`
 * among its security options and keeps its data under `<data root>/<uid>.<gid>` (the first range of
 * its remap user, `dockremap`, in /etc/subuid and /etc/subgid). Undefined when it does not remap.
 */
export function remappedRoot(info: { SecurityOptions?: readonly string[] | null; DockerRootDir?: string }): RemappedRoot | undefined {
  if (!(info.SecurityOptions ?? []).some((o) => o.split(',').includes('name=userns'))) return undefined;
  const m = /\/(\d+)\.(\d+)\/?$/.exec(info.DockerRootDir ?? '');
  if (!m) return undefined;
  const [uid, gid] = [Number(m[1]), Number(m[2])];
  return uid > 0 && gid > 0 ? { uid, gid } : undefined;
}

/**
 * The host directories of a container's own cgroups: one per line of its init process's
 * /proc/PID/cgroup, under the mount point of that hierarchy in /proc/mounts (cgroup v1 controllers,
 * named hierarchies such as name=systemd, and the v2 "unified" one of a hybrid host). Only paths
 * that end in the container's id: delegation must never hand out a parent (or the root) cgroup.
 */
export function cgroupDirs(procCgroup: string, mounts: string, containerId: string): string[] {
  const v1 = new Map<string, string>();
  let v2: string | undefined;
  for (const line of mounts.split('\n')) {
    const [, point, type, options = ''] = line.split(' ');
    if (!point) continue;
    if (type === 'cgroup2') v2 ??= point;
    if (type === 'cgroup') for (const o of options.split(',')) v1.set(o, point);
  }
  const dirs: string[] = [];
  for (const line of procCgroup.split('\n')) {
    const m = /^\d+:([^:]*):(\/.*)$/.exec(line.trim());
    if (!m?.[2] || m[2].split('/').pop() !== containerId) continue;
    const controllers = m[1] ?? '';
    const point = controllers === '' ? v2 : v1.get(controllers.split(',')[0] ?? '');
    if (point) dirs.push(`${point}${m[2]}`);
  }
  return dirs;
}

/**
 * Hands a node in a user namespace what its inner engine must own on the host. cgroup v1 is not
 * delegated to a user namespace by the kernel or by runc: without this, the node's root (an
 * unprivileged host uid) cannot create the cgroups of nested containers ("mkdir
 * /sys/fs/cgroup/cpuset/docker: permission denied"). Only the node's own cgroup *directories* are
 * chowned, not the files in them: the node creates child cgroups (which the kernel gives to their
 * creator) but cannot raise its own memory, CPU or pids limits, which stay root's. runc makes the
 * directories afresh at every start, so this runs at every start (events, and a sweep when the
 * event stream connects).
 */
export class CgroupDelegation {
  readonly #docker: Dockerode;
  #root: Promise<RemappedRoot> | undefined;

  constructor(docker: Dockerode) {
    this.#docker = docker;
  }

  /** The engine's remapped root; fails when the engine does not run with --userns-remap. */
  root(): Promise<RemappedRoot> {
    this.#root ??= this.#docker.info().then(
      (info: { SecurityOptions?: string[]; DockerRootDir?: string }) => {
        const root = remappedRoot(info);
        if (!root) throw new EngineError('find the node engine\'s user namespace', new Error('the node engine does not run with --userns-remap: start it with --userns-remap=default, or set CARINA_NODE_ENGINE=host'));
        return root;
      },
      (cause: unknown) => {
        throw new EngineError('ask the node engine for its user namespace', cause);
      },
    );
    this.#root.catch(() => (this.#root = undefined)); // ask again next time
    return this.#root;
  }

  /** Gives a node's own host directory (its engine socket lives there) to the node's root. */
  async ownDir(dir: string): Promise<void> {
    const { uid, gid } = await this.root();
    await chown(dir, uid, gid);
  }

  /** Chowns the cgroup directories of a running node container to the remapped root; returns how many changed. */
  async delegate(containerId: string): Promise<number> {
    const { uid, gid } = await this.root();
    const info = await this.#docker.getContainer(containerId).inspect();
    if (!info.State.Running || !info.State.Pid) return 0;
    let procCgroup: string;
    try {
      procCgroup = await readFile(`/proc/${info.State.Pid}/cgroup`, 'utf8');
    } catch {
      return 0; // ended in between: its next start delegates again
    }
    let changed = 0;
    for (const dir of cgroupDirs(procCgroup, await readFile('/proc/mounts', 'utf8'), info.Id)) {
      const s = await stat(dir).catch(() => undefined);
      if (!s || (s.uid === uid && s.gid === gid)) continue;
      await chown(dir, uid, gid);
      changed++;
    }
    return changed;
  }
}
