import { describeCause, EngineError } from '../core/errors.js';
import { cgroupDirs, remappedRoot, type RemappedRoot } from './cgroup-delegation.js';
import { execIn as run } from './docker-stream.js';
import type { HostEngine } from './host-fleet.js';
import { ensureHostScript, inspectIfExists } from './host-script.js';

/** The helper container on each host whose engine remaps users (one per host, whatever the clusters). */
export const CGROUPS_HELPER = 'carina-host-cgroups';
/** Where the helper sees the host's cgroup hierarchies (a bind of /sys/fs/cgroup; its own /sys/fs/cgroup is read-only). */
const HOST_CGROUP = '/host/cgroup';
const SPEC_LABEL = 'carina.host-cgroups.spec';
const SEPARATOR = '--carina-mounts--';
/** How often the helper looks for node cgroups still root's (a node its host's engine restarted on its own). */
const SWEEP_EVERY_S = 5;

/**
 * The helper's own program: every few seconds, hand each container's cgroup directories
 * (`<hierarchy>/docker/<id>`, one level: never a parent, never a node's own children) that still
 * belong to root to `root` when the container's first process runs as `root` — on an engine that remaps
 * users, every container but the guard and this helper (which run in the host's user namespace) is a
 * node. It catches nodes the host's engine restarts by itself (its restart policy after a dockerd
 * restart), which the control plane does not see start; the control plane hands over at each start it
 * makes itself at once (HostCgroups.delegate), without waiting for a sweep.
 */
export function sweepScript(root: RemappedRoot): string {
  return [
    "trap 'exit 0' TERM INT",
    'while :; do',
    `  for d in ${HOST_CGROUP}/*/docker/*/; do`,
    '    [ -f "$d/cgroup.procs" ] && [ "$(stat -c %u "$d")" = 0 ] || continue',
    '    pid=$(head -n 1 "$d/cgroup.procs" 2>/dev/null)',
    `    [ -n "$pid" ] && [ "$(stat -c %u /proc/$pid 2>/dev/null)" = ${root.uid} ] || continue`,
    `    chown ${root.uid}:${root.gid} "$d" && echo "carina-host-cgroups: handed $d to ${root.uid}"`,
    '  done',
    `  sleep ${SWEEP_EVERY_S} & wait $!`,
    'done',
  ].join('\n');
}

/**
 * What a node on a registered host needs from its host when the host's engine runs with
 * `--userns-remap` (root in a node is then an unprivileged host user): its cgroup directories handed to
 * that user at every start, as the local node engine's nodes get them (cgroup-delegation.ts). The
 * control plane has no shell on a host, only its engine; so each such host runs one small helper
 * container that sees the host's processes and cgroup hierarchies and may only chown (no other
 * capability, no network, read-only root), and each delegation is an exec in it. A host whose engine
 * does not remap needs none: its nodes' root is the host's root (docs/multi-host.md says so).
 */
export class HostCgroups {
  readonly #roots = new Map<string, Promise<RemappedRoot | undefined>>();
  readonly #helpers = new Map<string, Promise<void>>();
  readonly #log: (line: string) => void;

  constructor(log: (line: string) => void) {
    this.#log = log;
  }

  /** The host engine's remapped root, or undefined when it does not remap (asked once per host and process). */
  #root(host: HostEngine): Promise<RemappedRoot | undefined> {
    let root = this.#roots.get(host.name);
    if (!root) {
      root = host.docker.info().then((info: { SecurityOptions?: string[]; DockerRootDir?: string }) => remappedRoot(info));
      root.catch(() => this.#roots.delete(host.name));
      this.#roots.set(host.name, root);
    }
    return root;
  }

  /**
   * Hands the running node container `containerId` on `host` its cgroup directories; `image` (the node
   * image, already on the host) runs the helper. Returns how many directories were handed over (0 on a
   * host that does not remap, or for a container that is not running).
   */
  async delegate(host: HostEngine, containerId: string, image: string): Promise<number> {
    const operation = `hand node ${containerId.slice(0, 12)} its cgroups on host ${host.name}`;
    const root = await this.#root(host).catch((e: unknown) => {
      throw new EngineError(operation, new Error(describeCause(e)));
    });
    if (root === undefined) return 0;
    try {
      const node = await host.docker.getContainer(containerId).inspect();
      if (!node.State.Running || !node.State.Pid) return 0;
      await this.#helper(host, image, root);
      const helper = host.docker.getContainer(CGROUPS_HELPER);
      const read = await run(helper, ['sh', '-c', `cat /proc/${node.State.Pid}/cgroup && echo ${SEPARATOR} && cat /proc/self/mounts`]);
      const [procCgroup = '', mounts = ''] = read.split(`${SEPARATOR}\n`);
      // Only the bind of the host's hierarchies: the helper's own /sys/fs/cgroup is read-only.
      const hostMounts = mounts
        .split('\n')
        .filter((line) => {
          const point = line.split(' ')[1] ?? '';
          return point === HOST_CGROUP || point.startsWith(`${HOST_CGROUP}/`);
        })
        .join('\n');
      const dirs = cgroupDirs(procCgroup, hostMounts, node.Id);
      if (dirs.length === 0) throw new Error(`none of its cgroup directories was found (its /proc/${node.State.Pid}/cgroup: ${procCgroup.trim().split('\n').slice(0, 2).join('; ')})`);
      await run(helper, ['chown', `${root.uid}:${root.gid}`, ...dirs]);
      return dirs.length;
    } catch (e) {
      if (e instanceof EngineError) throw e;
      throw new EngineError(operation, new Error(describeCause(e)));
    }
  }

  /** Makes sure the host runs the helper, from `image`. */
  #helper(host: HostEngine, image: string, root: RemappedRoot): Promise<void> {
    const key = `${host.name}|${image}`;
    let done = this.#helpers.get(key);
    if (!done) {
      done = this.#start(host, image, root);
      done.catch(() => this.#helpers.delete(key));
      this.#helpers.set(key, done);
    }
    return done;
  }

  async #start(host: HostEngine, image: string, root: RemappedRoot): Promise<void> {
    await ensureHostScript(
      host.docker,
      await inspectIfExists(host.docker, CGROUPS_HELPER),
      {
        name: CGROUPS_HELPER,
        specLabel: SPEC_LABEL,
        image,
        script: sweepScript(root),
        hostConfig: {
          // The host's users (to chown to the remapped root), processes (to read a node's cgroups) and cgroup namespace.
          UsernsMode: 'host',
          PidMode: 'host',
          CgroupnsMode: 'host',
          NetworkMode: 'none',
          Binds: [`/sys/fs/cgroup:${HOST_CGROUP}`],
          CapAdd: ['CHOWN'],
          Memory: 32 * 1024 * 1024,
        },
      },
      () => this.#log(`host ${host.name}: its engine remaps users; starting ${CGROUPS_HELPER}, which hands nodes their cgroups`),
    );
  }
}
