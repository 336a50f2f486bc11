/**
 * Issue 17's scrape figure: `GET /metrics` of a real control plane (`carina-server up`, metrics on
 * CARINA_METRICS_LISTEN with a token) holding 1,000 clusters and 2,000 nodes seeded straight into its
 * store as the API benchmark seeds them; goal ≤ 50 ms. Sequential scrapes from this process over
 * loopback, after a warm-up; the time is the client's (request sent → last byte). Then the scrape's
 * cost to the API: `GET /v1/clusters` offered at a fixed rate in windows without and with a scraper
 * at 1 Hz, paired and alternated (A B B A …) so the machine's drift falls on both; goal ≤ 2 %. Run with
 * `npm run bench:metrics` (builds first); results go to bench/results/metrics-*.json.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { PrometheusTelemetry } from '../src/server/metrics.js';
import { openStore } from '../src/store/open-store.js';
import { hostDocker } from './docker.js';
import { Guard } from './guard.js';
import { offer, seedClusters } from './scenarios/api.js';
import { BenchServer, freePort } from './server.js';
import { percentile, summarize } from './stats.js';

const CLUSTERS = 1_000;
const WARMUP = 20;
const SCRAPES = 200;
/** The API load of the overhead phase: below this machine's saturation (~800 req/s), so latency, not queueing, is compared. */
const LOAD_RPS = Number(process.env.BENCH_METRICS_LOAD_RPS ?? 400);
const WINDOW_S = 8;
const PAIRS = Number(process.env.BENCH_METRICS_PAIRS ?? 4);
const RESULTS = new URL('results', import.meta.url).pathname;

const log = (line: string) => console.log(`[metrics ${new Date().toISOString().slice(11, 19)}] ${line}`);

/**
 * What the API's hot path pays per request with metrics on, in this process: one observation of the
 * request histogram (the onResponse hook's work), over a handful of routes as a running API sees them.
 */
function observationCost(): number {
  const telemetry = new PrometheusTelemetry({ clustersByStatus: () => Promise.resolve(new Map()), nodesByState: () => Promise.resolve(new Map()), leads: () => true, log }, { processMetrics: false });
  const routes = ['/v1/clusters', '/v1/clusters/:name', '/v1/clusters/:name/events', '/healthz'];
  const n = 1_000_000;
  for (let i = 0; i < 100_000; i++) telemetry.httpRequest('GET', routes[i % 4], 200, 0.001);
  const started = performance.now();
  for (let i = 0; i < n; i++) telemetry.httpRequest('GET', routes[i % 4], 200 + (i % 2) * 4, 0.001);
  return ((performance.now() - started) * 1e6) / n;
}

async function main(): Promise<void> {
  const guard = new Guard({ timeoutMs: 15 * 60_000, hardMemFloorBytes: 1024 ** 3 });
  guard.install();
  try {
    const token = randomBytes(24).toString('hex');
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/metrics`;
    // No registry: it has nothing to do with a scrape, and a killed plane would leave its process behind.
    const server = new BenchServer(
      { name: 'metrics', portRange: { from: 26940, to: 26959 }, logDir: RESULTS, extraEnv: { CARINA_METRICS_LISTEN: `127.0.0.1:${port}`, CARINA_METRICS_TOKEN: token, CARINA_REGISTRY: 'off' } },
      hostDocker(),
      guard,
    );
    const key = await server.createAccount('bench', '--clusters', String(CLUSTERS), '--nodes', '5');
    const store = await openStore({ url: `sqlite:${join(server.dataDir, 'carina.db')}` });
    const s0 = performance.now();
    try {
      await seedClusters(store, 'bench', CLUSTERS, guard);
    } finally {
      await store.close();
    }
    log(`seeded ${CLUSTERS} clusters in ${((performance.now() - s0) / 1000).toFixed(1)} s`);
    await server.start();
    const scrape = async (): Promise<{ ms: number; bytes: number; text: string }> => {
      const started = performance.now();
      const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`GET /metrics answered ${res.status}: ${text.slice(0, 200)}`);
      return { ms: performance.now() - started, bytes: Buffer.byteLength(text), text };
    };
    for (let i = 0; i < WARMUP; i++) await scrape();
    const samples: number[] = [];
    let last = { ms: 0, bytes: 0, text: '' };
    for (let i = 0; i < SCRAPES; i++) {
      guard.check();
      last = await scrape();
      samples.push(last.ms);
    }
    // The scraper's cost to the API: paired windows of the same load, without (A) and with (B) a 1 Hz scrape.
    const listUrl = `${server.url}/v1/clusters`;
    const window = async (scraping: boolean) => {
      let scraper: NodeJS.Timeout | undefined;
      let scrapes = 0;
      if (scraping) scraper = setInterval(() => void scrape().then(() => (scrapes += 1)), 1000);
      try {
        return { ...(await offer(listUrl, key, LOAD_RPS, WINDOW_S, guard, () => undefined)), scrapes };
      } finally {
        clearInterval(scraper);
      }
    };
    await offer(listUrl, key, LOAD_RPS, 3, guard, () => undefined); // warm-up
    const pairs: { without: Awaited<ReturnType<typeof window>>; with: Awaited<ReturnType<typeof window>> }[] = [];
    for (let i = 0; i < PAIRS; i++) {
      guard.check();
      // A B, then B A: what the minute does to the machine falls on both sides.
      const first = i % 2 === 0 ? await window(false) : await window(true);
      const second = i % 2 === 0 ? await window(true) : await window(false);
      pairs.push(i % 2 === 0 ? { without: first, with: second } : { without: second, with: first });
      log(`pair ${i + 1}: p50 ${pairs[i]!.without.p50Ms.toFixed(2)} → ${pairs[i]!.with.p50Ms.toFixed(2)} ms, p99 ${pairs[i]!.without.p99Ms.toFixed(2)} → ${pairs[i]!.with.p99Ms.toFixed(2)} ms, ${pairs[i]!.without.achievedRps.toFixed(0)} → ${pairs[i]!.with.achievedRps.toFixed(0)} req/s (${pairs[i]!.with.scrapes} scrapes)`);
    }
    const ratio = (f: (r: Awaited<ReturnType<typeof window>>) => number) => summarize(pairs.map((p) => f(p.with) / f(p.without)));
    const overhead = {
      offeredRps: LOAD_RPS,
      windowSeconds: WINDOW_S,
      pairs,
      withOverWithout: { p50: ratio((r) => r.p50Ms), p99: ratio((r) => r.p99Ms), achievedRps: ratio((r) => r.achievedRps) },
      goal: 'with a 1 Hz scrape, API figures within 2 % of those without',
    };
    const clusters = /^carina_clusters\{status="error"\} (\d+)$/m.exec(last.text)?.[1];
    const nodes = /^carina_nodes\{state="ready"\} (\d+)$/m.exec(last.text)?.[1];
    if (Number(clusters) !== CLUSTERS) throw new Error(`the scrape counted ${clusters} clusters in error, seeded ${CLUSTERS}`);
    const result = {
      at: new Date().toISOString(),
      // The machine is shared: its load says how busy the other tenants kept it.
      machine: { cpus: cpus().length, model: cpus()[0]?.model, loadavg: loadavg() },
      clusters: CLUSTERS,
      nodes: Number(nodes),
      scrapes: SCRAPES,
      exposition: { bytes: last.bytes, lines: last.text.split('\n').length },
      scrapeMs: { ...(summarize(samples) ?? { n: 0, median: Number.NaN, p95: Number.NaN, min: Number.NaN, max: Number.NaN }), p99: percentile(samples, 99) },
      goalMs: 50,
      apiObservationNs: observationCost(),
      scrapeOverhead: overhead,
    };
    mkdirSync(RESULTS, { recursive: true });
    const file = join(RESULTS, `metrics-${result.at.replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
    const s = result.scrapeMs;
    const o = overhead.withOverWithout;
    log(`1 Hz scrape under ${LOAD_RPS} req/s of GET /v1/clusters, ${PAIRS} pairs: with/without median ratio p50 ${o.p50?.median.toFixed(3)}, p99 ${o.p99?.median.toFixed(3)}, achieved ${o.achievedRps?.median.toFixed(3)}`);
    log(`${SCRAPES} scrapes of ${last.bytes} bytes (${CLUSTERS} clusters, ${nodes} nodes): median ${s.median.toFixed(2)} ms, p95 ${s.p95.toFixed(2)} ms, p99 ${s.p99.toFixed(2)} ms, max ${s.max.toFixed(2)} ms (goal ≤ 50 ms); one API observation ${result.apiObservationNs.toFixed(0)} ns; ${file}`);
  } finally {
    await guard.cleanupAll();
    guard.dispose();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
