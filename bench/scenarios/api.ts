import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import SqliteDatabase from 'better-sqlite3';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import type Dockerode from 'dockerode';
import { DEFAULT_FLAVOR } from '../../src/core/flavors.js';
import type { Store } from '../../src/core/ports.js';
import type { Account } from '../../src/core/types.js';
import { X509Pki } from '../../src/pki/x509-pki.js';
import { openStore } from '../../src/store/open-store.js';
import { BareFastify } from '../bare-fastify.js';
import type { Guard } from '../guard.js';
import { processCpuSeconds } from '../machine.js';
import { BenchServer } from '../server.js';
import { percentile, summarize, type Summary } from '../stats.js';

/** One load run of one endpoint at one offered rate. */
export interface LoadRun {
  readonly requests: number;
  readonly achievedRps: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly non2xx: number;
  readonly bytesPerResponse: number;
  readonly peakRssBytes: number;
  /** CPU time of the server process over the run (utime + stime, 10 ms ticks) per answered request. */
  readonly serverCpuMsPerRequest?: number;
}

export interface LoadFigure {
  readonly endpoint: string;
  readonly path: string;
  readonly rate: number;
  readonly runs: LoadRun[];
  /** Over runs: each run's p50 / p99 / achieved req/s / peak RSS. */
  readonly p50Ms?: Summary | undefined;
  readonly p99Ms?: Summary | undefined;
  readonly achievedRps?: Summary | undefined;
  readonly peakRssBytes?: Summary | undefined;
  readonly errors: number;
  /**
   * Each run divided by the bare Fastify baseline's run at the same rate just after it (paired, so
   * a busy moment slows both): p50, p99 and achieved req/s ratios over runs. Only `GET /v1/clusters`.
   */
  readonly vsBare?: { readonly p50: Summary | undefined; readonly p99: Summary | undefined; readonly achievedRps: Summary | undefined } | undefined;
}

export interface ApiResult {
  readonly clustersSeeded: number;
  /** Clusters in one `GET /v1/clusters` response (its first page); absent in runs from before the list was paged (all of them). */
  readonly listPage?: number;
  readonly seedMs: number;
  readonly responseBytes: { readonly list: number; readonly get: number };
  readonly generator: string;
  readonly durationSec: number;
  readonly figures: LoadFigure[];
  /**
   * The baseline of issue 16: a bare Fastify route in its own process answering the list page's
   * bytes as static JSON, offered the same load right after each `GET /v1/clusters` run.
   */
  readonly bare?: { readonly what: string; readonly figures: LoadFigure[]; readonly peakRssBytes: number } | undefined;
  /** Control plane RSS (bytes) idle (1,000 clusters in the store, nothing asked) and the peak under load. */
  readonly rss: { readonly idle?: Summary | undefined; readonly peakUnderLoad: number; readonly vmHwmAtEnd: number };
  /** CPUs the control plane used while idle with the clusters in the store (reconciler, gateway sync). */
  readonly idleCpus: number;
  /**
   * The store work of listing every cluster of the account, in-process on the seeded database: the
   * N + 1 pattern (the clusters, then one node query per cluster) against the same nodes in one query.
   */
  readonly storeCost: { readonly listThenNodesPerClusterMs?: Summary | undefined; readonly listOnlyMs?: Summary | undefined; readonly nodesInOneQueryMs?: Summary | undefined };
}

/** Server CPU milliseconds per request of a run: the process's CPU over the run (which includes its background work) / requests answered. */
const cpuMsPer = (cpuSeconds: number, run: { requests: number }): number => (cpuSeconds * 1000) / Math.max(run.requests, 1);

/** What the baseline is called in the results. */
const BARE_ENDPOINT = 'bare Fastify route, the list page as static JSON';

/** The API's default page size of `GET /v1/clusters`. */
const LIST_PAGE = 100;

/** Requests each autocannon stream sends per second; the offered rate is spread over staggered streams. */
const PER_STREAM_RPS = 50;

/**
 * Offers `rate` req/s to `url` for `seconds` with autocannon's fixed-rate mode (`overallRate`).
 * autocannon's rate limiter sends each connection's per-second quota back to back at the start of
 * each second; one connection at `rate` req/s would be a burst, not a rate. So the load is split
 * into streams of ≤ 50 req/s (one connection each) whose seconds start staggered evenly, and the
 * latencies are collected per response (autocannon's own coordinated-omission correction assumes
 * a 1 ms interval at these per-connection rates, so it is off).
 */
/** Offers `rate` req/s of GET `url` for `seconds` (autocannon, one connection per 50 req/s) and measures the answers. */
export async function offer(url: string, key: string, rate: number, seconds: number, guard: Guard, sampleRss: () => void): Promise<Omit<LoadRun, 'peakRssBytes'>> {
  const streams = Math.max(1, Math.ceil(rate / PER_STREAM_RPS));
  const latencies: number[] = [];
  let bytes = 0;
  let responses = 0;
  const instances: autocannon.Instance[] = [];
  const rssTimer = setInterval(sampleRss, 100);
  try {
    const results = await Promise.all(
      Array.from({ length: streams }, async (_, i) => {
        await guard.sleep((1000 / streams) * i);
        return new Promise<autocannon.Result>((resolve, reject) => {
          const instance = autocannon(
            {
              url,
              connections: 1,
              overallRate: Math.round(rate / streams),
              duration: seconds,
              headers: { authorization: `Bearer ${key}` },
              ignoreCoordinatedOmission: true,
              timeout: 10,
            },
            (err: unknown, result: autocannon.Result) => (err ? reject(err instanceof Error ? err : new Error(`autocannon: ${JSON.stringify(err)}`)) : resolve(result)),
          );
          instance.on('response', (_client: unknown, status: number, resBytes: number, ms: number) => {
            if (status >= 200 && status < 300) {
              latencies.push(ms);
              bytes += resBytes;
              responses++;
            }
          });
          instances.push(instance);
        });
      }),
    );
    guard.check();
    const sum = (f: (r: autocannon.Result) => number) => results.reduce((a, r) => a + f(r), 0);
    const s = latencies;
    return {
      requests: sum((r) => r.requests.total),
      // Per stream over its own actual duration (autocannon's rate limiter runs about a second past `duration`).
      achievedRps: sum((r) => r['2xx'] / Math.max(r.duration, 0.001)),
      p50Ms: percentile(s, 50),
      p90Ms: percentile(s, 90),
      p99Ms: percentile(s, 99),
      maxMs: percentile(s, 100),
      errors: sum((r) => r.errors),
      timeouts: sum((r) => r.timeouts),
      non2xx: sum((r) => r.non2xx),
      bytesPerResponse: responses > 0 ? Math.round(bytes / responses) : 0,
    };
  } finally {
    clearInterval(rssTimer);
    for (const i of instances) i.stop();
  }
}

/**
 * Seeds `count` clusters of account `accountName` straight into a store (before its control plane
 * starts): 1 to 3 Ready nodes each, key material, a `created` event, parked in `error` (reason:
 * seeded for the API benchmark) so the reconciler leaves them alone. Returns the account.
 */
export async function seedClusters(store: Store, accountName: string, count: number, guard: Guard): Promise<Account> {
  const account = await store.accounts.findByName(accountName);
  if (!account) throw new Error(`account ${accountName} not found in the store`);
  // Key material for every cluster, as real ones have, so the gateway holds a listener for each
  // (one set of certificates shared by all: what a listener costs does not depend on which).
  const pki = await new X509Pki().createClusterPki({ clusterId: 'seed', clusterName: 'seed', accountName, dnsNames: [], ipAddresses: ['127.0.0.1'] });
  // Their ports end below the kernel's ephemeral range (32768 on): ports in it are taken now and then
  // by outgoing connections, and a listener that cannot open is retried every second (extra work a
  // real fleet, whose range is the operator's choice, should not show).
  const ports = { from: Math.max(1024, 32_768 - count - 100), to: 32_767 };
  for (let i = 0; i < count; i++) {
    if (i % 100 === 0) guard.check();
    const nodeCount = 1 + (i % 3);
    const id = randomBytes(6).toString('hex');
    await store.clusters.createWithinQuota({ id, accountId: account.id, name: `seed-${String(i).padStart(4, '0')}`, flavor: DEFAULT_FLAVOR, nodeCount, autoscale: false }, ports);
    await store.clusters.replaceNodes(
      id,
      Array.from({ length: nodeCount }, (_, index) => ({
        clusterId: id,
        index,
        role: index === 0 ? ('manager' as const) : ('worker' as const),
        containerId: randomBytes(32).toString('hex'),
        address: `10.215.${Math.floor(i / 4) % 256}.${(i % 4) * 64 + 2 + index}`,
        status: 'ready',
      })),
    );
    await store.clusters.putPki(id, pki);
    await store.events.append(id, 'created', `cluster requested with ${nodeCount} node(s) of flavor ${DEFAULT_FLAVOR}`);
    const t = await store.clusters.transition(id, 'fail', { statusReason: 'seeded for the API benchmark' });
    if (!t.ok) throw new Error(`could not park seeded cluster ${id}: ${t.reason}`);
  }
  return account;
}

/**
 * `GET /v1/clusters` and `GET /v1/clusters/{name}` under fixed offered rates with `clusters`
 * clusters seeded directly into the store (this measures the API, not the engine), and the
 * control plane's RSS idle and under that load.
 *
 * Seeded clusters are put in `error` (reason: seeded for the API benchmark): any other status
 * would make the reconciler build them. They have node records and key material, so the gateway
 * holds a listener for each, as for a real fleet (seedClusters).
 */
export async function runApi(opts: {
  docker: Dockerode;
  guard: Guard;
  clusters: number;
  rates: readonly number[];
  durationSec: number;
  warmupSec: number;
  serverNodeOptions?: string | undefined;
  runs: number;
  logDir: string;
  log: (line: string) => void;
}): Promise<ApiResult> {
  const { guard, log } = opts;
  const extraEnv = opts.serverNodeOptions === undefined ? undefined : { NODE_OPTIONS: opts.serverNodeOptions };
  const server = new BenchServer({ name: 'api', portRange: { from: 26900, to: 26919 }, logDir: opts.logDir, ...(extraEnv && { extraEnv }) }, opts.docker, guard);
  try {
    const key = await server.createAccount('bench', '--clusters', String(opts.clusters), '--nodes', '5');
    // Seed the store before the control plane starts (the admin command above created and migrated it).
    const s0 = performance.now();
    const dbFile = join(server.dataDir, 'carina.db');
    const store = await openStore({ url: `sqlite:${dbFile}` });
    let seedMs = 0;
    let storeCost: ApiResult['storeCost'] = {};
    try {
      const account = await seedClusters(store, 'bench', opts.clusters, guard);
      seedMs = performance.now() - s0;
      storeCost = await measureStoreCost(store, account.id, dbFile, opts.runs > 1 ? 10 : 3);
    } finally {
      await store.close();
    }
    log(`api: seeded ${opts.clusters} clusters in ${(seedMs / 1000).toFixed(1)} s`);
    await server.start();
    const headers = { authorization: `Bearer ${key}` };
    const listUrl = `${server.url}/v1/clusters`;
    const getUrl = `${server.url}/v1/clusters/seed-${String(Math.floor(opts.clusters / 2)).padStart(4, '0')}`;
    const [listRes, getRes] = await Promise.all([fetch(listUrl, { headers }), fetch(getUrl, { headers })]);
    if (!listRes.ok || !getRes.ok) throw new Error(`API answered ${listRes.status} / ${getRes.status} before the load`);
    // The list is paged (100 a page unless `limit`): the load asks for the first page, as `carina ls` does first.
    const listBytes = Buffer.from(await listRes.arrayBuffer());
    const listBody = JSON.parse(listBytes.toString('utf8')) as { clusters: unknown[]; next?: string | null };
    const listPage = Math.min(opts.clusters, LIST_PAGE);
    if (listBody.clusters.length !== listPage || (listBody.next != null) !== opts.clusters > LIST_PAGE) {
      throw new Error(`GET /v1/clusters listed ${listBody.clusters.length} clusters (next: ${listBody.next}), seeded ${opts.clusters}`);
    }
    const responseBytes = { list: Buffer.byteLength(JSON.stringify(listBody)), get: Buffer.byteLength(JSON.stringify(await getRes.json())) };

    // Idle: nothing asked (the reconciler and gateway still tick over the store).
    await guard.sleep(opts.runs > 1 ? 5_000 : 2_000);
    const idle: number[] = [];
    const cpu0 = processCpuSeconds(server.pid ?? -1);
    const w0 = performance.now();
    for (let i = 0; i < (opts.runs > 1 ? 10 : 4); i++) {
      idle.push(server.memory()?.rssBytes ?? Number.NaN);
      await guard.sleep(500);
    }
    const idleCpus = (processCpuSeconds(server.pid ?? -1) - cpu0) / ((performance.now() - w0) / 1000);
    log(`api: control plane idle: RSS ${((summarize(idle)?.median ?? 0) / 1024 ** 2).toFixed(0)} MiB, ${idleCpus.toFixed(2)} CPUs, with ${opts.clusters} clusters in the store`);

    // After a run the server may still be working off requests the generator gave up on: wait
    // until a small request is quick again, so one run's backlog doesn't land in the next.
    const settle = async () => {
      const until = performance.now() + 60_000;
      await guard.sleep(500);
      while (performance.now() < until) {
        const t0 = performance.now();
        await fetch(getUrl, { headers }).then((r) => r.arrayBuffer(), () => undefined);
        if (performance.now() - t0 < 20) return;
        await guard.sleep(250);
      }
    };
    const figures: LoadFigure[] = [];
    const bareFigures: LoadFigure[] = [];
    let peakUnderLoad = 0;
    let barePeak = 0;
    const bare = await BareFastify.start(listBytes, guard);
    const bareRss = () => {
      barePeak = Math.max(barePeak, bare.memory()?.rssBytes ?? 0);
    };
    const figureOf = (endpoint: string, url: string, rate: number, runs: LoadRun[], vsBare?: LoadFigure['vsBare']): LoadFigure => ({
      endpoint,
      path: new URL(url).pathname,
      rate,
      runs,
      p50Ms: summarize(runs.map((x) => x.p50Ms)),
      p99Ms: summarize(runs.map((x) => x.p99Ms)),
      achievedRps: summarize(runs.map((x) => x.achievedRps)),
      peakRssBytes: summarize(runs.map((x) => x.peakRssBytes)),
      errors: runs.reduce((a, x) => a + x.errors + x.non2xx + x.timeouts, 0),
      vsBare,
    });
    for (const [endpoint, url] of [
      ['GET /v1/clusters', listUrl],
      ['GET /v1/clusters/{name}', getUrl],
    ] as const) {
      for (const rate of opts.rates) {
        const runs: LoadRun[] = [];
        const bareRuns: LoadRun[] = [];
        const withBare = url === listUrl;
        if (opts.warmupSec > 0) {
          await offer(url, key, rate, opts.warmupSec, guard, () => undefined);
          if (withBare) await offer(bare.url, key, rate, opts.warmupSec, guard, () => undefined);
          await settle();
        }
        for (let r = 0; r < opts.runs; r++) {
          let peak = 0;
          const cpu0 = processCpuSeconds(server.pid ?? -1);
          const run = await offer(url, key, rate, opts.durationSec, guard, () => {
            peak = Math.max(peak, server.memory()?.rssBytes ?? 0);
          });
          const serverCpuMsPerRequest = cpuMsPer(processCpuSeconds(server.pid ?? -1) - cpu0, run);
          peakUnderLoad = Math.max(peakUnderLoad, peak);
          runs.push({ ...run, peakRssBytes: peak, serverCpuMsPerRequest });
          log(
            `api: ${endpoint} at ${rate} req/s, run ${r + 1}/${opts.runs}: p50 ${run.p50Ms.toFixed(2)} ms, p99 ${run.p99Ms.toFixed(2)} ms, ${run.achievedRps.toFixed(0)} req/s achieved, ${run.errors + run.non2xx} errors, RSS peak ${(peak / 1024 ** 2).toFixed(0)} MiB, ${serverCpuMsPerRequest.toFixed(3)} ms CPU a request`,
          );
          await settle();
          if (withBare) {
            let peak = 0;
            const cpu0 = processCpuSeconds(bare.pid ?? -1);
            const b = await offer(bare.url, key, rate, opts.durationSec, guard, () => {
              bareRss();
              peak = Math.max(peak, bare.memory()?.rssBytes ?? 0);
            });
            const serverCpuMsPerRequest = cpuMsPer(processCpuSeconds(bare.pid ?? -1) - cpu0, b);
            bareRuns.push({ ...b, peakRssBytes: peak, serverCpuMsPerRequest });
            log(`api: bare Fastify at ${rate} req/s, run ${r + 1}/${opts.runs}: p50 ${b.p50Ms.toFixed(2)} ms, p99 ${b.p99Ms.toFixed(2)} ms, ${b.achievedRps.toFixed(0)} req/s achieved, ${serverCpuMsPerRequest.toFixed(3)} ms CPU a request`);
            await settle();
          }
        }
        const paired = (f: (x: LoadRun) => number) => summarize(runs.map((x, i) => f(x) / f(bareRuns[i] as LoadRun)));
        figures.push(figureOf(endpoint, url, rate, runs, withBare ? { p50: paired((x) => x.p50Ms), p99: paired((x) => x.p99Ms), achievedRps: paired((x) => x.achievedRps) } : undefined));
        if (withBare) bareFigures.push(figureOf(BARE_ENDPOINT, bare.url, rate, bareRuns));
      }
    }
    await bare.stop();
    return {
      clustersSeeded: opts.clusters,
      listPage,
      seedMs,
      responseBytes,
      generator: `autocannon ${autocannonVersion()}: overallRate split over ⌈rate/${PER_STREAM_RPS}⌉ staggered 1-connection streams, latencies per response (no CO correction)`,
      durationSec: opts.durationSec,
      figures,
      bare: { what: BARE_ENDPOINT, figures: bareFigures, peakRssBytes: barePeak },
      rss: { idle: summarize(idle), peakUnderLoad, vmHwmAtEnd: server.memory()?.hwmBytes ?? Number.NaN },
      idleCpus,
      storeCost,
    };
  } finally {
    await server.cleanup();
  }
}

async function measureStoreCost(store: Store, accountId: string, dbFile: string, reps: number): Promise<ApiResult['storeCost']> {
  const listThen: number[] = [];
  const listOnly: number[] = [];
  const oneQuery: number[] = [];
  const raw = new SqliteDatabase(dbFile, { readonly: true });
  try {
    const nodes = raw.prepare('SELECT n.* FROM nodes n JOIN clusters c ON c.id = n.cluster_id WHERE c.account_id = ? ORDER BY n.cluster_id, n.idx');
    for (let i = 0; i <= reps; i++) {
      const t0 = performance.now();
      const list = await store.clusters.listByAccount(accountId);
      const t1 = performance.now();
      await Promise.all(list.map((c) => store.clusters.listNodes(c.id)));
      const t2 = performance.now();
      nodes.all(accountId);
      const t3 = performance.now();
      if (i === 0) continue; // warm-up
      listOnly.push(t1 - t0);
      listThen.push(t2 - t0);
      oneQuery.push(t3 - t2);
    }
  } finally {
    raw.close();
  }
  return { listThenNodesPerClusterMs: summarize(listThen), listOnlyMs: summarize(listOnly), nodesInOneQueryMs: summarize(oneQuery) };
}

function autocannonVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../node_modules/autocannon/package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return '?';
  }
}
