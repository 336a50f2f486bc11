import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Dockerode from 'dockerode';
import { loadConfig } from '../src/config/config.js';
import { alive } from './guard.js';

/** Label on every object the benchmark creates itself (the floor's containers and volumes). */
export const BENCH_LABEL = 'carina.bench';
/** Label holding the pid of the run that made the object (stale objects of dead runs are removed). */
export const BENCH_PID_LABEL = 'carina.bench.pid';
/** Control planes started by the benchmark use instance labels `bench-<scenario>-<pid>`. */
export const benchInstance = (scenario: string): string => `bench-${scenario}-${process.pid}`;
const INSTANCE_RE = /^bench-[a-z0-9]+-(\d+)$/;

/** The host engine (DOCKER_HOST if it is a unix socket, else the default socket). */
export function hostDocker(): Dockerode {
  const host = process.env.DOCKER_HOST;
  if (host?.startsWith('unix://')) return new Dockerode({ socketPath: host.slice('unix://'.length) });
  if (host && !host.startsWith('unix://')) throw new Error(`the benchmark needs the engine on a unix socket (DOCKER_HOST=${host})`);
  return new Dockerode({ socketPath: '/var/run/docker.sock' });
}

/**
 * The engine the benchmarked control planes run their nodes on: Carina's userns node engine (the
 * default as root: CARINA_NODE_ENGINE, CARINA_NODE_ENGINE_HOST), or the host engine.
 */
export function nodesDocker(): Dockerode {
  const config = loadConfig();
  if (config.nodeEngine !== 'userns') return hostDocker();
  return new Dockerode({ socketPath: config.nodeEngineHost.replace(/^unix:\/\//, '') });
}

/** Runs `fn` over `items`, at most `limit` at a time. */
export async function eachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

const ignore = () => undefined;

/** Removes every container, volume and network matching `filters` (containers 4 at a time). */
export async function purge(docker: Dockerode, filters: { label: string[] }): Promise<number> {
  const containers = await docker.listContainers({ all: true, filters });
  await eachLimited(containers, 4, (c) => docker.getContainer(c.Id).remove({ force: true, v: true }).then(ignore, ignore));
  const volumes = (await docker.listVolumes({ filters })).Volumes ?? [];
  await eachLimited(volumes, 4, (v) => docker.getVolume(v.Name).remove().then(ignore, ignore));
  const networks = await docker.listNetworks({ filters });
  await eachLimited(networks, 4, (n) => docker.getNetwork(n.Id).remove().then(ignore, ignore));
  return containers.length + volumes.length + networks.length;
}

/** Removes every object of a control plane instance. */
export function purgeInstance(docker: Dockerode, instance: string): Promise<number> {
  return purge(docker, { label: [`carina.instance=${instance}`] });
}

/**
 * Removes what earlier benchmark runs that died (kill -9, power loss) left behind: objects labelled
 * with a dead run's pid, objects of `bench-*-<dead pid>` instances, and their temporary directories.
 * Objects of a run that is still alive are never touched.
 */
export async function purgeStale(docker: Dockerode, log: (line: string) => void): Promise<void> {
  const dead = (pid: string | undefined) => pid !== undefined && Number(pid) !== process.pid && !alive(Number(pid));
  const pids = new Set<string>();
  const instances = new Set<string>();
  const [containers, volumes, networks] = await Promise.all([
    docker.listContainers({ all: true, filters: { label: ['carina.instance'] } }),
    docker.listVolumes({ filters: { label: ['carina.instance'] } }),
    docker.listNetworks({ filters: { label: ['carina.instance'] } }),
  ]);
  for (const o of [...containers, ...(volumes.Volumes ?? []), ...networks]) {
    const instance = o.Labels?.['carina.instance'] ?? '';
    const m = INSTANCE_RE.exec(instance);
    if (m && dead(m[1])) instances.add(instance);
  }
  const own = await Promise.all([
    docker.listContainers({ all: true, filters: { label: [BENCH_LABEL] } }),
    docker.listVolumes({ filters: { label: [BENCH_LABEL] } }),
  ]);
  for (const o of [...own[0], ...(own[1].Volumes ?? [])]) {
    const pid = o.Labels?.[BENCH_PID_LABEL];
    if (dead(pid)) pids.add(pid as string);
  }
  // First the control planes such a run left running (they would re-create what is removed next).
  const staleDirs = readdirSync(tmpdir()).filter((name) => dead(/^carina-bench-(\d+)-/.exec(name)?.[1]));
  for (const name of staleDirs) {
    const dir = join(tmpdir(), name);
    const pid = Number(readFileSafe(join(dir, 'bench-server.pid')).trim());
    if (pid > 0 && alive(pid) && readFileSafe(`/proc/${pid}/environ`).split('\0').includes(`CARINA_DATA_DIR=${dir}`)) {
      process.kill(pid, 'SIGKILL');
      log(`stopped control plane ${pid} left running by an interrupted run (${dir})`);
    }
  }
  for (const instance of instances) log(`removed ${await purgeInstance(docker, instance)} objects left by an interrupted run (instance ${instance})`);
  for (const pid of pids) log(`removed ${await purge(docker, { label: [`${BENCH_PID_LABEL}=${pid}`] })} floor objects left by interrupted run ${pid}`);
  for (const name of staleDirs) rmSync(join(tmpdir(), name), { recursive: true, force: true });
}

function readFileSafe(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** One host engine event, time in ms since the epoch. */
export interface EngineEvent {
  readonly timeMs: number;
  readonly type: string;
  readonly action: string;
  readonly name: string;
}

/** Records host engine events (containers, networks, volumes) while the benchmark runs. */
export class EventRecorder {
  readonly events: EngineEvent[] = [];
  #stream: NodeJS.ReadableStream | undefined;

  async start(docker: Dockerode): Promise<void> {
    const stream = await docker.getEvents({ filters: { type: ['container', 'network', 'volume'] } });
    let buffered = '';
    stream.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl).trim();
        buffered = buffered.slice(nl + 1);
        if (!line) continue;
        try {
          const e = JSON.parse(line) as { Type?: string; Action?: string; timeNano?: number; time?: number; Actor?: { Attributes?: Record<string, string> } };
          this.events.push({
            timeMs: e.timeNano ? e.timeNano / 1e6 : (e.time ?? 0) * 1000,
            type: e.Type ?? '?',
            action: e.Action ?? '?',
            name: e.Actor?.Attributes?.name ?? '',
          });
          if (this.events.length > 200_000) this.events.splice(0, 100_000);
        } catch {
          /* not an event */
        }
      }
    });
    stream.on('error', () => undefined);
    this.#stream = stream;
  }

  /** Events of objects whose name starts with `prefix` at or after `sinceMs`. */
  of(prefix: string, sinceMs = 0): EngineEvent[] {
    return this.events.filter((e) => e.timeMs >= sinceMs && e.name.startsWith(prefix));
  }

  stop(): void {
    const s = this.#stream as { destroy?: () => void } | undefined;
    s?.destroy?.();
    this.#stream = undefined;
  }
}
