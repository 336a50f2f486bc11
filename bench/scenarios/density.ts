import { statfsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type Dockerode from 'dockerode';
import { BenchApi, createCluster } from '../clusters.js';
import type { Guard } from '../guard.js';
import { containerMemory, cpuTimes, cpusBusy, memInfo, processCpuSeconds } from '../machine.js';
import { BenchServer } from '../server.js';
import { median, summarize, type Summary } from '../stats.js';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

export interface DensityResult {
  /** 1-node clusters that were created and idle when the scenario stopped adding. */
  readonly nodes: number;
  readonly stopReason: string;
  readonly limits: { readonly maxNodes: number; readonly budgetMs: number; readonly reserveBytes: number };
  readonly addingMs: number;
  readonly settleMs: number;
  /** Host cgroup figures of each idle node container (bytes). */
  readonly perNode: { readonly workingSet?: Summary | undefined; readonly usage?: Summary | undefined; readonly rss?: Summary | undefined; readonly cache?: Summary | undefined; readonly source: string };
  /** Host MemAvailable before the first cluster and after the idle settle, and the drop per node (bytes). */
  readonly host: { readonly memTotal: number; readonly availableBefore: number; readonly availableAfter: number; readonly dropPerNode: number };
  /** 24 GiB divided by the per-node figures (an extrapolation, not a measurement). */
  readonly nodesPer24GiB: { readonly byHostDrop: number; readonly byCgroupWorkingSet: number };
  /** Nodes that would fit on this host before MemAvailable reaches the reserve, at the host drop per node. */
  readonly projectedFitHere: number;
  /** CPUs busy on the whole host while all nodes sat idle (10 s window), and per node. */
  readonly idleCpu: { readonly hostCpus: number; readonly perNodeCpus: number; readonly controlPlaneCpus: number };
  readonly controlPlaneRssBytes: { readonly before: number; readonly after: number };
  /** MemAvailable after each batch, to see that memory grows linearly. */
  readonly curve: Array<{ readonly nodes: number; readonly availableBytes: number; readonly elapsedMs: number }>;
  readonly errors: string[];
  readonly cleanupMs: number;
}

async function sampleAvailable(guard: Guard, samples = 3): Promise<number> {
  const xs: number[] = [];
  for (let i = 0; i < samples; i++) {
    if (i > 0) await guard.sleep(1_000);
    xs.push(memInfo().availableBytes);
  }
  return median(xs);
}

/**
 * Adds idle 1-node clusters (in small batches) until host MemAvailable falls below the reserve,
 * the node cap or the time budget is reached; lets them idle, measures each node's memory from
 * the host cgroup and the host's MemAvailable drop, then removes everything.
 */
export async function runDensity(opts: {
  docker: Dockerode;
  guard: Guard;
  maxNodes: number;
  budgetMs: number;
  reserveBytes: number;
  settleMs: number;
  batch: number;
  logDir: string;
  log: (line: string) => void;
}): Promise<DensityResult> {
  const { docker, guard, log } = opts;
  const server = new BenchServer({ name: 'density', portRange: { from: 26200, to: 26200 + opts.maxNodes + 20 }, logDir: opts.logDir }, docker, guard);
  const errors: string[] = [];
  const curve: DensityResult['curve'] = [];
  try {
    const key = await server.createAccount('bench', '--clusters', String(opts.maxNodes + 10), '--nodes', '1');
    await server.start();
    const api = new BenchApi(server.url, key, guard);
    await guard.sleep(3_000);
    const memTotal = memInfo().totalBytes;
    const availableBefore = await sampleAvailable(guard);
    const rssBefore = server.memory()?.rssBytes ?? Number.NaN;
    log(`density: host MemAvailable ${(availableBefore / GiB).toFixed(1)} GiB before; stop at ${opts.maxNodes} nodes, ${(opts.reserveBytes / GiB).toFixed(1)} GiB available or ${Math.round(opts.budgetMs / 60_000)} min`);

    const dockerRoot = ((await docker.info()) as { DockerRootDir?: string }).DockerRootDir ?? '/var/lib/docker';
    const diskFree = (): number => {
      try {
        const st = statfsSync(dockerRoot);
        return st.bavail * st.bsize;
      } catch {
        return Number.POSITIVE_INFINITY;
      }
    };
    const t0 = performance.now();
    let nodes = 0;
    let failuresInARow = 0;
    let slowestMs = 0;
    let stopReason = '';
    for (;;) {
      const available = memInfo().availableBytes;
      if (guard.signal.aborted) stopReason = 'aborted';
      else if (nodes >= opts.maxNodes) stopReason = `node cap (${opts.maxNodes}) reached`;
      else if (available < opts.reserveBytes) stopReason = `host MemAvailable ${(available / GiB).toFixed(1)} GiB < reserve ${(opts.reserveBytes / GiB).toFixed(1)} GiB`;
      else if (diskFree() < 5 * GiB) stopReason = `less than 5 GiB free on ${dockerRoot}`;
      else if (performance.now() - t0 > opts.budgetMs) stopReason = `time budget (${Math.round(opts.budgetMs / 60_000)} min) used up`;
      else if (failuresInARow >= 3) stopReason = 'three failed batches in a row';
      else if (slowestMs > 60_000) stopReason = `the machine is saturated (the last 1-node create took ${Math.round(slowestMs / 1000)} s)`;
      if (stopReason) break;
      const size = Math.min(opts.batch, opts.maxNodes - nodes);
      const results = await Promise.allSettled(Array.from({ length: size }, (_, i) => createCluster(api, `d${nodes + i}`, 1, 120_000)));
      const ok = results.filter((r) => r.status === 'fulfilled').length;
      slowestMs = Math.max(0, ...results.map((r) => (r.status === 'fulfilled' ? r.value.activeMs : 0)));
      for (const r of results) if (r.status === 'rejected') errors.push(r.reason instanceof Error ? r.reason.message : String(r.reason));
      failuresInARow = ok === 0 ? failuresInARow + 1 : 0;
      nodes += size; // a failed create still holds (part of) a node until the end; counted, and its error reported
      curve.push({ nodes, availableBytes: memInfo().availableBytes, elapsedMs: Math.round(performance.now() - t0) });
      if (nodes % 10 === 0 || nodes === size) log(`density: ${nodes} idle nodes, MemAvailable ${(memInfo().availableBytes / GiB).toFixed(1)} GiB, ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    }
    const addingMs = performance.now() - t0;
    log(`density: stopped adding at ${nodes} nodes: ${stopReason}; letting them idle for ${opts.settleMs / 1000} s`);
    if (!guard.signal.aborted) await guard.sleep(opts.settleMs);

    // Memory of each node container as the host's cgroup accounts it.
    const containers = await docker.listContainers({ filters: { label: [`carina.instance=${server.instance}`] } });
    const mems = containers.map((c) => containerMemory(c.Id)).filter((m) => m !== undefined);
    const availableAfter = await sampleAvailable(guard);
    const cpuA = cpuTimes();
    const planeA = server.pid ? processCpuSeconds(server.pid) : Number.NaN;
    const w0 = performance.now();
    await guard.sleep(10_000);
    const windowSec = (performance.now() - w0) / 1000;
    const hostCpus = cpusBusy(cpuA, cpuTimes());
    const controlPlaneCpus = server.pid ? (processCpuSeconds(server.pid) - planeA) / windowSec : Number.NaN;
    const rssAfter = server.memory()?.rssBytes ?? Number.NaN;
    const running = containers.length;
    const dropPerNode = running > 0 ? (availableBefore - availableAfter) / running : Number.NaN;
    const workingSet = summarize(mems.map((m) => m.workingSetBytes));
    const result: DensityResult = {
      nodes: running,
      stopReason,
      limits: { maxNodes: opts.maxNodes, budgetMs: opts.budgetMs, reserveBytes: opts.reserveBytes },
      addingMs,
      settleMs: opts.settleMs,
      perNode: {
        workingSet,
        usage: summarize(mems.map((m) => m.usageBytes)),
        rss: summarize(mems.map((m) => m.rssBytes)),
        cache: summarize(mems.map((m) => m.cacheBytes)),
        source: mems[0]?.source ?? 'none',
      },
      host: { memTotal, availableBefore, availableAfter, dropPerNode },
      nodesPer24GiB: {
        byHostDrop: dropPerNode > 0 ? Math.floor((24 * GiB) / dropPerNode) : Number.NaN,
        byCgroupWorkingSet: workingSet ? Math.floor((24 * GiB) / workingSet.median) : Number.NaN,
      },
      projectedFitHere: dropPerNode > 0 ? running + Math.max(0, Math.floor((availableAfter - opts.reserveBytes) / dropPerNode)) : Number.NaN,
      idleCpu: { hostCpus, perNodeCpus: running > 0 ? hostCpus / running : Number.NaN, controlPlaneCpus },
      controlPlaneRssBytes: { before: rssBefore, after: rssAfter },
      curve,
      errors,
      cleanupMs: 0,
    };
    log(
      `density: ${running} idle nodes; per node (cgroup working set) median ${((workingSet?.median ?? Number.NaN) / MiB).toFixed(1)} MiB; host MemAvailable drop ${(dropPerNode / MiB).toFixed(1)} MiB per node; host CPUs busy ${hostCpus.toFixed(2)}`,
    );
    const c0 = performance.now();
    await server.cleanup();
    return { ...result, cleanupMs: performance.now() - c0 };
  } finally {
    await server.cleanup();
  }
}
