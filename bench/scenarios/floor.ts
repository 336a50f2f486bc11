import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Dockerode from 'dockerode';
import { DEFAULT_FLAVOR, findFlavor } from '../../src/core/flavors.js';
import { LXCFS_PROC_FILES } from '../../src/engine/lxcfs-proc-files.js';
import { CgroupDelegation, remappedRoot } from '../../src/engine/cgroup-delegation.js';
import { BENCH_LABEL, BENCH_PID_LABEL, purge } from '../docker.js';
import type { Guard } from '../guard.js';
import { summarize, type Summary } from '../stats.js';

/** Milestones of the inner dockerd's start, from its own log (ms after the container started). */
const DOCKERD_MILESTONES: ReadonlyArray<readonly [string, RegExp]> = [
  ['dockerd starting', /msg="Starting up"/],
  ['containerd booted', /msg="containerd successfully booted/],
  ['loading containers (networks, iptables)', /msg="Loading containers: start\."/],
  ['containers loaded', /msg="Loading containers: done\."/],
  ['daemon initialised', /msg="Daemon has completed initialization"/],
  ['API listening', /msg="API listen on/],
];

export interface FloorRun {
  /** Volume + container create calls. */
  readonly createMs: number;
  /** The start call. */
  readonly startMs: number;
  /** Start call returned → the inner socket answered a ping. */
  readonly engineMs: number;
  /** create → ping answered: the floor. */
  readonly totalMs: number;
  /** Inner dockerd log milestones, ms after the container's StartedAt. */
  readonly dockerd: Record<string, number>;
}

export interface FloorResult {
  readonly image: string;
  readonly flags: string;
  readonly runs: FloorRun[];
  readonly totalMs?: Summary | undefined;
  readonly createMs?: Summary | undefined;
  readonly startMs?: Summary | undefined;
  readonly engineMs?: Summary | undefined;
  /** Medians of the inner dockerd milestones (ms after the container started). */
  readonly dockerdMedianMs: Record<string, number>;
}

/** Pings the inner engine every 10 ms until it answers. */
async function waitForSocket(socketPath: string, guard: Guard, timeoutMs = 60_000): Promise<void> {
  const client = new Dockerode({ socketPath, timeout: 1_000 });
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    guard.check();
    if (existsSync(socketPath)) {
      const ok = await client.ping().then(() => true, () => false);
      if (ok) return;
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`the inner engine at ${socketPath} did not answer within ${timeoutMs / 1000} s`);
}

function milestones(logs: string, startedAtMs: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of logs.split('\n')) {
    const t = /time="([^"]+)"/.exec(line)?.[1];
    if (!t) continue;
    for (const [name, re] of DOCKERD_MILESTONES) {
      if (out[name] === undefined && re.test(line)) {
        const ms = Date.parse(t);
        // Docker's log timestamps carry nanoseconds; Date.parse keeps milliseconds.
        if (Number.isFinite(ms)) out[name] = ms - startedAtMs;
      }
    }
  }
  return out;
}

/** Docker's log stream for a non-TTY container is multiplexed: 8-byte frame headers before each chunk. */
function demux(buf: Buffer): string {
  const parts: Buffer[] = [];
  let i = 0;
  while (i + 8 <= buf.length) {
    const size = buf.readUInt32BE(i + 4);
    parts.push(buf.subarray(i + 8, i + 8 + size));
    i += 8 + size;
  }
  return Buffer.concat(parts).toString('utf8');
}

/**
 * The floor: one node container, created with exactly the platform's flags (see
 * src/engine/docker-engine.ts createNode) from the platform's node image, until its inner dockerd
 * answers on the bind-mounted socket (polled every 10 ms). The platform additionally puts the
 * node on its cluster's bridge network with a fixed address; the floor uses the default bridge.
 */
export async function runFloor(opts: { docker: Dockerode; image: string; runs: number; guard: Guard; log: (line: string) => void }): Promise<FloorResult> {
  const { docker, image, guard } = opts;
  const flavor = findFlavor(DEFAULT_FLAVOR);
  if (!flavor) throw new Error(`flavor ${DEFAULT_FLAVOR} not found`);
  const lxcfs = existsSync('/var/lib/lxcfs/proc/meminfo') ? '/var/lib/lxcfs' : undefined;
  const labels = { [BENCH_LABEL]: '1', [BENCH_PID_LABEL]: String(process.pid) };
  const root = mkdtempSync(join(tmpdir(), `carina-bench-${process.pid}-floor-`));
  const release = guard.defer('floor containers', async () => {
    await purge(docker, { label: [`${BENCH_PID_LABEL}=${process.pid}`] });
    rmSync(root, { recursive: true, force: true });
  });
  const runs: FloorRun[] = [];
  // On the userns node engine the node's root owns its socket directory (as the platform does it);
  // that engine has no default bridge, so the floor's nodes have no network there.
  const delegation = remappedRoot((await docker.info()) as { SecurityOptions?: string[]; DockerRootDir?: string }) ? new CgroupDelegation(docker) : undefined;
  try {
    for (let i = 0; i < opts.runs; i++) {
      guard.check();
      const name = `carina-bench-floor-${process.pid}-${i}`;
      const dir = join(root, `n${i}`);
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      await delegation?.ownDir(dir);
      const binds = [`${name}-docker:/var/lib/docker`, `${dir}:/run/carina`];
      if (lxcfs) for (const f of LXCFS_PROC_FILES) binds.push(`${lxcfs}/proc/${f}:/proc/${f}:ro`);
      const t0 = performance.now();
      await docker.createVolume({ Name: `${name}-docker`, Labels: labels });
      const container = await docker.createContainer({
        name,
        Image: image,
        Hostname: `floor-${i}`,
        Cmd: [],
        Labels: labels,
        HostConfig: {
          Binds: binds,
          Memory: flavor.memoryBytes,
          NanoCpus: flavor.vcpus * 1e9,
          RestartPolicy: { Name: 'unless-stopped' },
          ...(delegation ? { NetworkMode: 'none' } : {}),
          CapAdd: ['ALL'],
          CapDrop: ['SYS_RESOURCE'],
          SecurityOpt: ['seccomp=unconfined', 'apparmor=unconfined'],
          ...({ CgroupnsMode: 'private', MaskedPaths: [], ReadonlyPaths: [] } as object),
        },
      });
      const t1 = performance.now();
      await container.start();
      const t2 = performance.now();
      await waitForSocket(join(dir, 'docker.sock'), guard);
      const t3 = performance.now();
      const info = await container.inspect();
      const logs = await container.logs({ stdout: true, stderr: true, follow: false });
      const dockerd = milestones(demux(logs), Date.parse(info.State.StartedAt));
      runs.push({ createMs: t1 - t0, startMs: t2 - t1, engineMs: t3 - t2, totalMs: t3 - t0, dockerd });
      opts.log(`floor run ${i + 1}/${opts.runs}: ${(t3 - t0).toFixed(0)} ms (create ${(t1 - t0).toFixed(0)}, start ${(t2 - t1).toFixed(0)}, dockerd ${(t3 - t2).toFixed(0)})`);
      await container.remove({ force: true, v: true });
      await docker.getVolume(`${name}-docker`).remove().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    }
  } finally {
    await release();
  }
  const dockerdMedianMs: Record<string, number> = {};
  for (const [name] of DOCKERD_MILESTONES) {
    const s = summarize(runs.map((r) => r.dockerd[name] ?? Number.NaN));
    if (s) dockerdMedianMs[name] = Math.round(s.median);
  }
  return {
    image,
    flags: `--cap-add ALL --cap-drop SYS_RESOURCE --security-opt seccomp=unconfined --security-opt apparmor=unconfined --security-opt systempaths=unconfined --cgroupns private --memory ${flavor.memoryBytes} --cpus ${flavor.vcpus} -v <volume>:/var/lib/docker -v <dir>:/run/carina${lxcfs ? ' + lxcfs /proc binds' : ''}`,
    runs,
    totalMs: summarize(runs.map((r) => r.totalMs)),
    createMs: summarize(runs.map((r) => r.createMs)),
    startMs: summarize(runs.map((r) => r.startMs)),
    engineMs: summarize(runs.map((r) => r.engineMs)),
    dockerdMedianMs,
  };
}
