import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type Dockerode from 'dockerode';
import { X509Pki } from '../../src/pki/x509-pki.js';
import { openStore } from '../../src/store/open-store.js';
import {
  BenchApi,
  CREATE_PHASES,
  GROW_PHASES,
  createBreakdown,
  createCluster,
  deleteCluster,
  engineStartPerNode,
  growBreakdown,
  growCluster,
  verifyReady,
  WARM_CREATE_PHASES,
  warmCreateBreakdown,
  type Phase,
} from '../clusters.js';
import type { EventRecorder } from '../docker.js';
import type { Guard } from '../guard.js';
import { BenchServer } from '../server.js';
import { summarize, type Summary } from '../stats.js';

export interface CreateSample {
  readonly nodes: number;
  readonly run: number;
  readonly activeMs: number;
  readonly postMs: number;
  readonly ready: number;
  readonly verifyDockerCliMs: number;
  readonly tlsHandshakeMs: number;
  readonly bundleMs: number;
  readonly phases: Phase[];
  /** Per node: container start → its inner dockerd answered (as the platform waits for it, 50 ms polls). */
  readonly engineStartMs: number[];
}

export interface GrowSample {
  readonly from: number;
  readonly run: number;
  readonly growMs: number;
  readonly ready: number;
  readonly phases: Phase[];
}

export interface DeleteSample {
  readonly nodes: number;
  readonly run: number;
  readonly goneMs: number;
  readonly deleteMs: number;
}

export interface PhaseSummary {
  readonly phase: string;
  readonly medianMs: number;
  readonly p95Ms: number;
  /** Share of the median total, in %. */
  readonly share: number;
}

export interface LifecycleResult {
  readonly create: Record<string, { readonly activeMs?: Summary | undefined; readonly postMs?: Summary | undefined; readonly phases: PhaseSummary[] }>;
  /** Creates that took a warm shell of their size (CARINA_WARM_POOL, docs/warm-pool.md), each with the pool full; absent in runs from before it. */
  readonly createWarm?: Record<string, { readonly activeMs?: Summary | undefined; readonly postMs?: Summary | undefined; readonly phases: PhaseSummary[] }>;
  readonly grow: { readonly from: number; readonly growMs?: Summary | undefined; readonly phases: PhaseSummary[] };
  readonly delete: Record<string, { readonly deleteMs?: Summary | undefined; readonly goneMs?: Summary | undefined }>;
  readonly verify: { readonly dockerCliMs?: Summary | undefined; readonly tlsHandshakeMs?: Summary | undefined; readonly bundleMs?: Summary | undefined; readonly allReady: boolean };
  /** Container start → inner dockerd answers, per node, inside the platform (compare with the floor's). */
  readonly engineStartMs?: Summary | undefined;
  /** Micro-benchmarks of the create request's own work. */
  readonly micro: {
    readonly pkiMs?: Summary | undefined;
    readonly storeCreateMs?: Summary | undefined;
    /** First authenticated request of a key (scrypt verification), and the next one (cached). */
    readonly firstAuthMs?: Summary | undefined;
    readonly cachedAuthMs?: Summary | undefined;
  };
  readonly samples: { readonly create: CreateSample[]; readonly grow: GrowSample[]; readonly delete: DeleteSample[]; readonly createWarm?: CreateSample[] };
  /** Failed samples (the run goes on; three failures in a row end the scenario). */
  readonly errors: string[];
  readonly warmup: boolean;
}

/** Median and p95 of each phase over samples, in phase order (phases merged by missing points are kept as they are). */
export function summarizePhases(samples: ReadonlyArray<readonly Phase[]>, order: readonly string[]): PhaseSummary[] {
  const names: string[] = [];
  for (const s of samples) for (const p of s) if (!names.includes(p.phase)) names.push(p.phase);
  const rank = (n: string) => {
    const i = order.findIndex((o) => n.startsWith(o));
    return i < 0 ? order.length : i;
  };
  names.sort((a, b) => rank(a) - rank(b));
  const rows = names.map((phase) => {
    const s = summarize(samples.map((ps) => ps.find((p) => p.phase === phase)?.ms ?? Number.NaN));
    return { phase, medianMs: Math.round(s?.median ?? 0), p95Ms: Math.round(s?.p95 ?? 0) };
  });
  const total = rows.reduce((a, r) => a + r.medianMs, 0);
  return rows.map((r) => ({ ...r, share: total > 0 ? Math.round((r.medianMs / total) * 100) : 0 }));
}

/** What the create request itself does besides HTTP: key material and store writes, timed in-process. */
async function microBenchmarks(guard: Guard, n: number): Promise<Pick<LifecycleResult['micro'], 'pkiMs' | 'storeCreateMs'>> {
  const pki = new X509Pki();
  const subject = { clusterId: 'abcdef012345', clusterName: 'bench', accountName: 'bench', dnsNames: ['bench.bench.carina.local'], ipAddresses: ['127.0.0.1'] };
  await pki.createClusterPki(subject); // warm-up
  const pkiMs: number[] = [];
  for (let i = 0; i < n; i++) {
    guard.check();
    const t0 = performance.now();
    await pki.createClusterPki(subject);
    pkiMs.push(performance.now() - t0);
  }
  const material = await pki.createClusterPki(subject);
  const dir = mkdtempSync(join(tmpdir(), `carina-bench-${process.pid}-store-`));
  const store = await openStore({ url: `sqlite:${join(dir, 'carina.db')}` });
  const storeMs: number[] = [];
  try {
    await store.accounts.create({ id: 'acc-bench', name: 'bench', keyHash: 'x', quotaClusters: n + 1, quotaNodes: 5 });
    for (let i = 0; i <= n; i++) {
      guard.check();
      const t0 = performance.now();
      const id = `c${String(i).padStart(11, '0')}`;
      await store.clusters.createWithinQuota({ id, accountId: 'acc-bench', name: `c${i}`, flavor: 'container1-4G', nodeCount: 3, autoscale: false }, { from: 40000, to: 40999 });
      await store.clusters.putPki(id, material);
      await store.events.append(id, 'created', 'cluster requested with 3 node(s)');
      if (i > 0) storeMs.push(performance.now() - t0); // the first one pays for statement preparation
    }
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return { pkiMs: summarize(pkiMs), storeCreateMs: summarize(storeMs) };
}

/**
 * Create (1, 3, 5 nodes) until active with every node Ready (verified through the TLS endpoint with
 * the real docker client, not timed into create), grow by one node, delete until every object is gone.
 * Sizes are interleaved across runs so slow drift of the machine spreads evenly.
 */
export async function runLifecycle(opts: {
  docker: Dockerode;
  guard: Guard;
  engine: EventRecorder;
  runs: number;
  sizes: readonly number[];
  growFrom: number;
  warmup: boolean;
  logDir: string;
  log: (line: string) => void;
}): Promise<LifecycleResult> {
  const { docker, guard, engine, log } = opts;
  const server = new BenchServer({ name: 'lifecycle', portRange: { from: 26000, to: 26019 }, logDir: opts.logDir }, docker, guard);
  const created: CreateSample[] = [];
  const grown: GrowSample[] = [];
  const deleted: DeleteSample[] = [];
  const errors: string[] = [];
  const firstAuthMs: number[] = [];
  const cachedAuthMs: number[] = [];
  try {
    const maxNodes = Math.max(...opts.sizes, opts.growFrom + 1);
    const key = await server.createAccount('bench', '--clusters', '3', '--nodes', String(maxNodes));
    await server.start();
    const api = new BenchApi(server.url, key, guard);
    // The first request with a key pays for its scrypt verification (cached 5 min per process):
    // measured here on its own, so the timed creates don't include it.
    for (const into of [firstAuthMs, cachedAuthMs]) {
      const t0 = performance.now();
      const res = await api.client.request('GET', '/v1/quotas');
      if (res.status !== 200) throw new Error(`GET /v1/quotas answered ${res.status}`);
      into.push(performance.now() - t0);
    }
    if (opts.warmup) {
      // First create after start-up pays for JIT and first-use paths; not counted.
      const w = await createCluster(api, 'warmup', 1);
      await deleteCluster(api, docker, 'warmup', w.id);
      log('lifecycle: warm-up create + delete done');
    }
    const sizes = [...new Set([...opts.sizes, opts.growFrom])].sort((a, b) => a - b);
    let consecutiveFailures = 0;
    for (let run = 1; run <= opts.runs && consecutiveFailures < 3; run++) {
      for (const nodes of sizes) {
        if (guard.signal.aborted || consecutiveFailures >= 3) break;
        const name = `r${run}-n${nodes}`;
        try {
          const c = await createCluster(api, name, nodes);
          const events = await api.events(name);
          const v = await verifyReady(api, name);
          if (opts.sizes.includes(nodes)) {
            created.push({
              nodes,
              run,
              activeMs: c.activeMs,
              postMs: c.postMs,
              ready: v.ready,
              verifyDockerCliMs: v.dockerCliMs,
              tlsHandshakeMs: v.tlsHandshakeMs,
              bundleMs: v.bundleMs,
              phases: createBreakdown(c, events, engine),
              engineStartMs: engineStartPerNode(c.id, c.postWall, events, engine),
            });
            log(`create ${nodes} node(s), run ${run}/${opts.runs}: active in ${c.activeMs.toFixed(0)} ms; ${v.ready}/${nodes} Ready via TLS (docker node ls ${v.dockerCliMs.toFixed(0)} ms)`);
            if (v.ready !== nodes) log(`  WARNING: only ${v.ready} of ${nodes} nodes Ready through the TLS endpoint`);
          }
          let total = nodes;
          if (nodes === opts.growFrom) {
            const g = await growCluster(api, name, nodes + 1);
            const after = await verifyReady(api, name);
            grown.push({ from: nodes, run, growMs: g.growMs, ready: after.ready, phases: growBreakdown(c.id, g, await api.events(name), engine) });
            log(`grow ${nodes} → ${nodes + 1}, run ${run}/${opts.runs}: active in ${g.growMs.toFixed(0)} ms; ${after.ready}/${nodes + 1} Ready via TLS`);
            total = nodes + 1;
          }
          const d = await deleteCluster(api, docker, name, c.id);
          deleted.push({ nodes: total, run, goneMs: d.goneMs, deleteMs: d.deleteMs });
          log(`delete ${total} node(s), run ${run}/${opts.runs}: every object gone in ${d.deleteMs.toFixed(0)} ms`);
          consecutiveFailures = 0;
        } catch (e) {
          if (guard.signal.aborted) break;
          consecutiveFailures++;
          const message = e instanceof Error ? e.message : String(e);
          errors.push(`${name}: ${message}`);
          log(`lifecycle ${name} failed: ${message}`);
          // Best effort: don't let a failed cluster linger into the next sample.
          await api.client.request('DELETE', `/v1/clusters/${name}`).catch(() => undefined);
          for (let i = 0; i < 120 && !guard.signal.aborted; i++) {
            if ((await api.get(name).catch(() => ({ status: 0 }))).status === 404) break;
            await guard.sleep(500).catch(() => undefined);
          }
        }
      }
    }
  } finally {
    await server.cleanup();
  }
  const warm = guard.signal.aborted ? [] : await warmCreates({ ...opts, errors });
  const micro = { ...(guard.signal.aborted ? {} : await microBenchmarks(guard, opts.runs > 1 ? 20 : 5)), firstAuthMs: summarize(firstAuthMs), cachedAuthMs: summarize(cachedAuthMs) };

  const create: LifecycleResult['create'] = {};
  for (const nodes of opts.sizes) {
    const s = created.filter((c) => c.nodes === nodes);
    create[String(nodes)] = {
      activeMs: summarize(s.map((c) => c.activeMs)),
      postMs: summarize(s.map((c) => c.postMs)),
      phases: summarizePhases(s.map((c) => c.phases), ['post', ...CREATE_PHASES]),
    };
  }
  const createWarm: NonNullable<LifecycleResult['createWarm']> = {};
  for (const nodes of opts.sizes) {
    const s = warm.filter((c) => c.nodes === nodes);
    createWarm[String(nodes)] = { activeMs: summarize(s.map((c) => c.activeMs)), postMs: summarize(s.map((c) => c.postMs)), phases: summarizePhases(s.map((c) => c.phases), ['post', ...WARM_CREATE_PHASES]) };
  }
  const del: LifecycleResult['delete'] = {};
  for (const nodes of [...new Set(deleted.map((d) => d.nodes))].sort((a, b) => a - b)) {
    const s = deleted.filter((d) => d.nodes === nodes);
    del[String(nodes)] = { deleteMs: summarize(s.map((d) => d.deleteMs)), goneMs: summarize(s.map((d) => d.goneMs)) };
  }
  return {
    create,
    createWarm,
    grow: { from: opts.growFrom, growMs: summarize(grown.map((g) => g.growMs)), phases: summarizePhases(grown.map((g) => g.phases), ['post', ...GROW_PHASES]) },
    delete: del,
    verify: {
      dockerCliMs: summarize(created.map((c) => c.verifyDockerCliMs)),
      tlsHandshakeMs: summarize(created.map((c) => c.tlsHandshakeMs)),
      bundleMs: summarize(created.map((c) => c.bundleMs)),
      allReady: created.every((c) => c.ready === c.nodes) && grown.every((g) => g.ready === g.from + 1),
    },
    engineStartMs: summarize(created.flatMap((c) => c.engineStartMs)),
    micro,
    samples: { create: created, grow: grown, delete: deleted, createWarm: warm },
    errors,
    warmup: opts.warmup,
  };
}

/**
 * Creates that take a warm shell (docs/warm-pool.md): a control plane of its own keeping one shell of
 * each size, and before each timed create the pool full again (every shell built), so a figure is
 * that of a create arriving at a quiet pool. Verified Ready through the TLS endpoint, then deleted.
 */
async function warmCreates(opts: { docker: Dockerode; guard: Guard; runs: number; sizes: readonly number[]; logDir: string; log: (line: string) => void; errors: string[] }): Promise<CreateSample[]> {
  const { guard, log } = opts;
  const sizes = [...opts.sizes].sort((a, b) => a - b);
  const server = new BenchServer({ name: 'lifecycle-warm', portRange: { from: 26020, to: 26039 }, logDir: opts.logDir, extraEnv: { CARINA_WARM_POOL: sizes.join(',') } }, opts.docker, guard);
  const samples: CreateSample[] = [];
  let store: Awaited<ReturnType<typeof openStore>> | undefined;
  try {
    const key = await server.createAccount('bench', '--clusters', '3', '--nodes', String(Math.max(...sizes)));
    await server.start();
    store = await openStore({ url: `sqlite:${join(server.dataDir, 'carina.db')}` });
    const shells = store.warmShells;
    /** Waits until the pool holds a ready shell of every size (at most 3 min: the first ones build with the images). */
    const poolFull = async () => {
      for (const deadline = Date.now() + 180_000; Date.now() < deadline; await guard.sleep(100)) {
        const ready = (await shells.list()).filter((s) => s.ready).map((s) => s.nodeCount);
        if (sizes.every((n) => ready.includes(n))) return;
      }
      throw new Error('the warm pool did not fill within 3 min');
    };
    const api = new BenchApi(server.url, key, guard);
    await api.client.request('GET', '/v1/quotas'); // the key's scrypt check, not timed into a create
    for (let run = 1; run <= opts.runs && !guard.signal.aborted; run++) {
      for (const nodes of sizes) {
        const name = `w${run}-n${nodes}`;
        try {
          await poolFull();
          const c = await createCluster(api, name, nodes);
          const events = await api.events(name);
          if (!/from the warm pool/.test(events[0]?.message ?? '')) throw new Error(`${name} did not take a warm shell: ${events[0]?.message ?? 'no created event'}`);
          const v = await verifyReady(api, name);
          samples.push({ nodes, run, activeMs: c.activeMs, postMs: c.postMs, ready: v.ready, verifyDockerCliMs: v.dockerCliMs, tlsHandshakeMs: v.tlsHandshakeMs, bundleMs: v.bundleMs, phases: warmCreateBreakdown(c, events), engineStartMs: [] });
          log(`create ${nodes} node(s) from the warm pool, run ${run}/${opts.runs}: active in ${c.activeMs.toFixed(0)} ms; ${v.ready}/${nodes} Ready via TLS`);
          await deleteCluster(api, opts.docker, name, c.id);
        } catch (e) {
          if (guard.signal.aborted) break;
          const message = e instanceof Error ? e.message : String(e);
          opts.errors.push(`${name}: ${message}`);
          log(`lifecycle ${name} failed: ${message}`);
          await api.client.request('DELETE', `/v1/clusters/${name}`).catch(() => undefined);
        }
      }
    }
  } finally {
    await store?.close();
    await server.cleanup();
  }
  return samples;
}
