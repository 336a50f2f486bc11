import type Dockerode from 'dockerode';
import { describeCause } from '../core/errors.js';
import { readHostFile } from './host-file.js';

/** Where a host serves lxcfs: Debian's mount point, the same as on the control plane's machine (src/host/lxcfs.ts LXCFS_DIR; docs/multi-host.md). */
export const HOST_LXCFS_DIR = '/var/lib/lxcfs';
/** How long an answer about a host's lxcfs is kept (a host may start or lose it). */
const KEEP_MS = 60_000;

/**
 * Whether a host serves lxcfs at HOST_LXCFS_DIR, asked of its engine alone: `proc/meminfo` read
 * through a bind of the mount point (readHostFile). A missing mount point is refused by the engine,
 * and a stale mount (its lxcfs ended) fails the read: both answer false, as does a host whose engine
 * fails the probe — nodes then report the host's memory.
 */
export async function hostServesLxcfs(docker: Dockerode, image: string): Promise<boolean> {
  const meminfo = await readHostFile(docker, image, HOST_LXCFS_DIR, { within: 'proc/meminfo' });
  return meminfo !== undefined && /^MemTotal:/m.test(meminfo);
}

/** Per host, whether it serves lxcfs, kept a minute; `log` says when a host's answer changes. */
export class HostLxcfs {
  readonly #answers = new Map<string, { readonly at: number; readonly serves: Promise<boolean> }>();
  readonly #said = new Map<string, boolean>();
  readonly #log: (line: string) => void;
  readonly #now: () => number;

  constructor(log: (line: string) => void, now: () => number = Date.now) {
    this.#log = log;
    this.#now = now;
  }

  /** Whether the host `name` serves lxcfs; `probe` asks it (hostServesLxcfs). `fresh`: asks now, whatever was kept. */
  serves(name: string, probe: () => Promise<boolean>, fresh = false): Promise<boolean> {
    const kept = this.#answers.get(name);
    if (kept && !fresh && this.#now() - kept.at < KEEP_MS) return kept.serves;
    const serves = probe().catch((e: unknown) => {
      this.#log(`host ${name}: could not learn whether it serves lxcfs (${describeCause(e)})`);
      return false;
    });
    this.#answers.set(name, { at: this.#now(), serves });
    void serves.then((yes) => {
      if (this.#said.get(name) === yes) return;
      this.#said.set(name, yes);
      this.#log(yes ? `host ${name} serves lxcfs at ${HOST_LXCFS_DIR}: its nodes report their flavor's memory and CPUs` : `host ${name} does not serve lxcfs at ${HOST_LXCFS_DIR}: its nodes report the host's memory (install and start lxcfs there: docs/multi-host.md)`);
    });
    return serves;
  }
}
