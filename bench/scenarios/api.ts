import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import SqliteDatabase from 'better-sqlite3';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import type Dockerode from 'dockerode';
import { generateApiKey, hashApiKey } from '../../src/api/api-keys.js';
import { DEFAULT_FLAVOR } from '../../src/core/flavors.js';
import type { Store } from '../../src/core/ports.js';
import type { Account } from '../../src/core/types.js';
import { X509Pki } from '../../src/pki/x509-pki.js';
import { CONTROL_PLANE_LEASE } from '../../src/reconciler/leadership.js';
import { openStore } from '../../src/store/open-store.js';
import { withPostgres } from '../../test/support/replicas.js';
import { databaseUrl, redactUrl, seedAccountName, seedName, seedSlot } from '../api-setup.js';
import { BareFastify } from '../bare-fastify.js';
import type { Guard } from '../guard.js';
import { processCpuSeconds } from '../machine.js';
import type { ApiStore } from '../options.js';
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

/** `POST /v1/clusters` on a standby replica: one run of creates at a fixed rate. */
export interface CreateRun {
  readonly creates: number;
  readonly accepted: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Answers other than 202, by status (or the client's error). */
  readonly others: Readonly<Record<string, number>>;
}

export interface CreateFigure {
  readonly what: string;
  readonly rate: number;
  readonly runs: CreateRun[];
  readonly p50Ms?: Summary | undefined;
  readonly p99Ms?: Summary | undefined;
  readonly errors: number;
  /** After the runs: who held the control-plane lease (`carina-server leader`) and the status of the last cluster created (nothing built it). */
  readonly after: { readonly leader: string; readonly lastStatus: string };
}

export interface ApiResult {
  readonly clustersSeeded: number;
  /** Accounts the clusters were spread over, evenly; the load used the first (`bench`). Absent in runs from before: 1. */
  readonly accounts?: number;
  /** The control plane's store; absent in runs from before: SQLite in its data dir. */
  readonly store?: { readonly kind: ApiStore; readonly server?: string; readonly version?: string };
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
  /** `--api-create`: the API's accept of a create, on a standby so that nothing builds the clusters. */
  readonly create?: CreateFigure | undefined;
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
 * Seeds `count` clusters straight into a store (before its control plane starts), spread evenly
 * over the accounts named (bench/api-setup.ts seedSlot): 1 to 3 Ready nodes each, key material, a
 * `created` event, parked in `error` (reason: seeded for the API benchmark) so the reconciler
 * leaves them alone. `parallel` clusters are written at once (PostgreSQL: one connection each).
 * Returns the first account.
 */
export async function seedClusters(store: Store, accountNames: string | readonly string[], count: number, guard: Guard, parallel = 1): Promise<Account> {
  const names = typeof accountNames === 'string' ? [accountNames] : accountNames;
  const accounts: Account[] = [];
  for (const name of names) {
    const account = await store.accounts.findByName(name);
    if (!account) throw new Error(`account ${name} not found in the store`);
    accounts.push(account);
  }
  // Key material for every cluster, as real ones have, so the gateway holds a listener for each
  // (one set of certificates shared by all: what a listener costs does not depend on which).
  const pki = await new X509Pki().createClusterPki({ clusterId: 'seed', clusterName: 'seed', accountName: names[0] ?? 'bench', dnsNames: [], ipAddresses: ['127.0.0.1'] });
  // Their ports end below the kernel's ephemeral range (32768 on): ports in it are taken now and then
  // by outgoing connections, and a listener that cannot open is retried every second (extra work a
  // real fleet, whose range is the operator's choice, should not show). Each create is given its
  // own port as a one-port range: the port a lowest-free allocation in order gives, without
  // scanning every port taken so far (10,000 clusters) or racing when seeding in parallel.
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < count; i = next++) {
      if (i % 100 === 0) guard.check();
      await seedOne(store, accounts, i, count, pki);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(parallel, count)) }, worker));
  const first = accounts[0];
  if (!first) throw new Error('no account to seed');
  return first;
}

async function seedOne(store: Store, accounts: readonly Account[], i: number, count: number, pki: Awaited<ReturnType<X509Pki['createClusterPki']>>): Promise<void> {
  const slot = seedSlot(i, count, accounts.length);
  const account = accounts[slot.account] as Account;
  const nodeCount = 1 + (i % 3);
  const id = randomBytes(6).toString('hex');
  await store.clusters.createWithinQuota({ id, accountId: account.id, name: slot.name, flavor: DEFAULT_FLAVOR, nodeCount, autoscale: false }, { from: slot.port, to: slot.port });
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
  /** Accounts the clusters are spread over (1: all in `bench`, as before). */
  accounts?: number;
  /** SQLite in the data dir (default) or a fresh database on the PostgreSQL server at `postgresUrl`. */
  store?: ApiStore;
  postgresUrl?: string | undefined;
  /** After the GET loads, measure creates on a standby (measureCreates). */
  create?: boolean;
  runs: number;
  logDir: string;
  log: (line: string) => void;
}): Promise<ApiResult> {
  const { guard, log } = opts;
  const accounts = opts.accounts ?? 1;
  const perAccount = opts.clusters / accounts;
  if (!Number.isInteger(perAccount)) throw new Error(`${opts.clusters} clusters cannot be spread evenly over ${accounts} accounts`);
  // PostgreSQL: a database of its own for this run on the given server, dropped at the end.
  let postgres: { url: string; server: string; version: string; drop: () => Promise<void> } | undefined;
  if (opts.store === 'postgres') {
    if (!opts.postgresUrl) throw new Error('the API scenario on PostgreSQL needs CARINA_BENCH_POSTGRES_URL');
    const serverUrl = opts.postgresUrl;
    const name = `carina_bench_${process.pid}_${Date.now()}`;
    const version = await withPostgres(serverUrl, async (c) => {
      await c.query(`CREATE DATABASE ${name}`);
      return String((await c.query<{ server_version: string }>('SHOW server_version')).rows[0]?.server_version);
    });
    const drop = guard.defer(`PostgreSQL database ${name}`, () => withPostgres(serverUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined));
    postgres = { url: databaseUrl(serverUrl, name), server: redactUrl(serverUrl), version, drop };
    log(`api: store on PostgreSQL ${version}: database ${name} on ${postgres.server}`);
  }
  const extraEnv: Record<string, string> = {
    ...(opts.serverNodeOptions !== undefined && { NODE_OPTIONS: opts.serverNodeOptions }),
    ...(postgres && { CARINA_DATABASE_URL: postgres.url }),
  };
  const server = new BenchServer({ name: 'api', portRange: { from: 26900, to: 26919 }, logDir: opts.logDir, ...(Object.keys(extraEnv).length > 0 && { extraEnv }) }, opts.docker, guard);
  try {
    const key = await server.createAccount('bench', '--clusters', String(perAccount + (opts.create ? CREATE_WARMUP + CREATES_PER_RUN * opts.runs : 0)), '--nodes', '5');
    // Seed the store before the control plane starts (the admin command above created and migrated it).
    const s0 = performance.now();
    const dbFile = join(server.dataDir, 'carina.db');
    const storeUrl = postgres ? postgres.url : `sqlite:${dbFile}`;
    const store = await openStore({ url: storeUrl });
    let seedMs = 0;
    let storeCost: ApiResult['storeCost'] = {};
    try {
      // The other accounts, as `carina-server accounts create` makes them (their keys are not used).
      const names = Array.from({ length: accounts }, (_, a) => seedAccountName(a));
      for (const name of names.slice(1)) {
        const id = randomBytes(8).toString('hex');
        await store.accounts.create({ id, name, keyHash: await hashApiKey(generateApiKey(id)), quotaClusters: perAccount, quotaNodes: 5 });
      }
      const account = await seedClusters(store, names, opts.clusters, guard, postgres ? 8 : 1);
      seedMs = performance.now() - s0;
      const reps = opts.runs > 1 ? 10 : 3;
      storeCost = postgres ? await measureStoreCostPg(store, account.id, postgres.url, reps) : await measureStoreCost(store, account.id, dbFile, reps);
    } finally {
      await store.close();
    }
    log(`api: seeded ${opts.clusters} clusters${accounts > 1 ? ` over ${accounts} accounts (${perAccount} each; the load uses bench's)` : ''} in ${(seedMs / 1000).toFixed(1)} s`);
    await server.start();
    const headers = { authorization: `Bearer ${key}` };
    const listUrl = `${server.url}/v1/clusters`;
    const getUrl = `${server.url}/v1/clusters/${seedName(Math.floor(perAccount / 2))}`;
    const [listRes, getRes] = await Promise.all([fetch(listUrl, { headers }), fetch(getUrl, { headers })]);
    if (!listRes.ok || !getRes.ok) throw new Error(`API answered ${listRes.status} / ${getRes.status} before the load`);
    // The list is paged (100 a page unless `limit`): the load asks for the first page, as `carina ls` does first.
    const listBytes = Buffer.from(await listRes.arrayBuffer());
    const listBody = JSON.parse(listBytes.toString('utf8')) as { clusters: unknown[]; next?: string | null };
    const listPage = Math.min(perAccount, LIST_PAGE);
    if (listBody.clusters.length !== listPage || (listBody.next != null) !== perAccount > LIST_PAGE) {
      throw new Error(`GET /v1/clusters listed ${listBody.clusters.length} clusters (next: ${listBody.next}), seeded ${perAccount} in the account`);
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
    // Before the create figure restarts the control plane: the peak of the process that served the GET loads.
    const vmHwmAtEnd = server.memory()?.hwmBytes ?? Number.NaN;
    const create = opts.create ? await measureCreates({ server, storeUrl, key, runs: opts.runs, guard, log }) : undefined;
    return {
      clustersSeeded: opts.clusters,
      accounts,
      store: postgres ? { kind: 'postgres', server: postgres.server, version: postgres.version } : { kind: 'sqlite' },
      listPage,
      seedMs,
      responseBytes,
      generator: `autocannon ${autocannonVersion()}: overallRate split over ⌈rate/${PER_STREAM_RPS}⌉ staggered 1-connection streams, latencies per response (no CO correction)`,
      durationSec: opts.durationSec,
      figures,
      bare: { what: BARE_ENDPOINT, figures: bareFigures, peakRssBytes: barePeak },
      rss: { idle: summarize(idle), peakUnderLoad, vmHwmAtEnd },
      idleCpus,
      ...(create && { create }),
      storeCost,
    };
  } finally {
    await server.cleanup();
    await postgres?.drop();
  }
}

/** Creates a second of the create figure, creates a run, and untimed creates first (ports 18800-18999 hold 200: 3 runs fit). */
const CREATE_RATE = 10;
const CREATES_PER_RUN = 50;
const CREATE_WARMUP = 5;
/** The lease holder the create figure's standby defers to: no process of that name exists. */
const ABSENT_LEADER = 'bench-absent-leader';

/**
 * `POST /v1/clusters` answered 202: the API's accept only (validation, key material, the store's
 * quota-checked insert with its event, the answer). The control plane is restarted on the same store
 * as a standby — the control-plane lease given to a replica that does not exist, for an hour — so
 * it serves the API but runs no reconciler, gateway or autoscaler: nothing builds the clusters
 * created, and nothing else runs beside the accepts. On a leader a create also opens the cluster's
 * gateway listener and kicks the reconciler, which this does not measure. Open loop: a create is
 * sent every 1/CREATE_RATE s whether or not the previous one was answered, with node's fetch.
 */
async function measureCreates(o: { server: BenchServer; storeUrl: string; key: string; runs: number; guard: Guard; log: (line: string) => void }): Promise<CreateFigure> {
  const { server, guard } = o;
  await server.kill();
  const store = await openStore({ url: o.storeUrl });
  try {
    // The killed leader's lease runs out after its TTL (CARINA_LEASE_TTL): taken then.
    const until = performance.now() + 120_000;
    while (!(await store.leases.acquire(CONTROL_PLANE_LEASE, ABSENT_LEADER, new Date(), 3_600_000))) {
      if (performance.now() > until) throw new Error('could not give the control-plane lease to an absent replica within 120 s');
      await guard.sleep(500);
    }
  } finally {
    await store.close();
  }
  // Ports of their own for the new clusters (the seeded ones may take the scenario's range), below the ephemeral range; a standby opens no listener on them.
  server.env.CARINA_PORT_RANGE = '18800-18999';
  await server.start({ waitForImages: false });
  const headers = { authorization: `Bearer ${o.key}`, 'content-type': 'application/json' };
  const runs: CreateRun[] = [];
  let last = '';
  // Untimed: the first creates after a start load code and warm the JIT (the GET figures have their warm-up too).
  await guard.sleep(2_000);
  for (let n = 0; n < CREATE_WARMUP; n++) {
    await fetch(`${server.url}/v1/clusters`, { method: 'POST', headers, body: JSON.stringify({ name: `warmup-${n}`, nodes: 1 }) }).then((res) => res.arrayBuffer());
  }
  await guard.sleep(1_000);
  for (let r = 0; r < o.runs; r++) {
    const latencies: number[] = [];
    const others: Record<string, number> = {};
    const answers: Promise<void>[] = [];
    const t0 = performance.now();
    for (let n = 0; n < CREATES_PER_RUN; n++) {
      const wait = t0 + (n * 1000) / CREATE_RATE - performance.now();
      if (wait > 0) await guard.sleep(wait);
      last = `create-${r}-${String(n).padStart(3, '0')}`;
      const body = JSON.stringify({ name: last, nodes: 1 });
      const sent = performance.now();
      answers.push(
        fetch(`${server.url}/v1/clusters`, { method: 'POST', headers, body }).then(
          async (res) => {
            await res.arrayBuffer();
            if (res.status === 202) latencies.push(performance.now() - sent);
            else others[String(res.status)] = (others[String(res.status)] ?? 0) + 1;
          },
          (e: unknown) => {
            const k = `error: ${e instanceof Error ? e.message : String(e)}`;
            others[k] = (others[k] ?? 0) + 1;
          },
        ),
      );
    }
    await Promise.all(answers);
    guard.check();
    const run: CreateRun = {
      creates: CREATES_PER_RUN,
      accepted: latencies.length,
      p50Ms: percentile(latencies, 50),
      p90Ms: percentile(latencies, 90),
      p99Ms: percentile(latencies, 99),
      maxMs: percentile(latencies, 100),
      others,
    };
    runs.push(run);
    o.log(`api: POST /v1/clusters (standby, accept only) at ${CREATE_RATE}/s, run ${r + 1}/${o.runs}: p50 ${run.p50Ms.toFixed(2)} ms, p99 ${run.p99Ms.toFixed(2)} ms, ${run.accepted}/${run.creates} accepted${Object.keys(others).length > 0 ? `, others ${JSON.stringify(others)}` : ''}`);
    await guard.sleep(1_000);
  }
  const lastStatus = await fetch(`${server.url}/v1/clusters/${last}`, { headers }).then(async (res) => (res.ok ? String(((await res.json()) as { status?: unknown }).status) : `HTTP ${res.status}`));
  const leader = (await server.admin('leader')).trim();
  return {
    what: `POST /v1/clusters {nodes: 1} answered 202 by a standby replica (lease held by an absent replica: nothing builds the clusters); open loop at ${CREATE_RATE}/s, ${CREATES_PER_RUN} a run after ${CREATE_WARMUP} untimed, node fetch`,
    rate: CREATE_RATE,
    runs,
    p50Ms: summarize(runs.map((x) => x.p50Ms)),
    p99Ms: summarize(runs.map((x) => x.p99Ms)),
    errors: runs.reduce((a, x) => a + (x.creates - x.accepted), 0),
    after: { leader, lastStatus },
  };
}

const NODES_OF_ACCOUNT = 'SELECT n.* FROM nodes n JOIN clusters c ON c.id = n.cluster_id WHERE c.account_id = ? ORDER BY n.cluster_id, n.idx';

async function measureStoreCost(store: Store, accountId: string, dbFile: string, reps: number): Promise<ApiResult['storeCost']> {
  const raw = new SqliteDatabase(dbFile, { readonly: true });
  try {
    const nodes = raw.prepare(NODES_OF_ACCOUNT);
    return await timeStoreCost(store, accountId, reps, () => Promise.resolve(nodes.all(accountId)));
  } finally {
    raw.close();
  }
}

async function measureStoreCostPg(store: Store, accountId: string, url: string, reps: number): Promise<ApiResult['storeCost']> {
  return withPostgres(url, (client) => timeStoreCost(store, accountId, reps, () => client.query(NODES_OF_ACCOUNT.replace('?', '$1'), [accountId])));
}

async function timeStoreCost(store: Store, accountId: string, reps: number, nodesInOneQuery: () => Promise<unknown>): Promise<ApiResult['storeCost']> {
  const listThen: number[] = [];
  const listOnly: number[] = [];
  const oneQuery: number[] = [];
  for (let i = 0; i <= reps; i++) {
    const t0 = performance.now();
    const list = await store.clusters.listByAccount(accountId);
    const t1 = performance.now();
    await Promise.all(list.map((c) => store.clusters.listNodes(c.id)));
    const t2 = performance.now();
    await nodesInOneQuery();
    const t3 = performance.now();
    if (i === 0) continue; // warm-up
    listOnly.push(t1 - t0);
    listThen.push(t2 - t0);
    oneQuery.push(t3 - t2);
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
