/**
 * Issue 17's scrape figure: `GET /metrics` of a real control plane (`carina-server up`, metrics on
 * CARINA_METRICS_LISTEN with a token) holding 1,000 clusters and 2,000 nodes seeded straight into its
 * store as the API benchmark seeds them; goal ≤ 50 ms. Sequential scrapes from this process over
 * loopback, after a warm-up; the time is the client's (request sent → last byte). Run with
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
import { seedClusters } from './scenarios/api.js';
import { BenchServer, freePort } from './server.js';
import { percentile, summarize } from './stats.js';

const CLUSTERS = 1_000;
const WARMUP = 20;
const SCRAPES = 200;
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
    await server.createAccount('bench', '--clusters', String(CLUSTERS), '--nodes', '5');
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
    };
    mkdirSync(RESULTS, { recursive: true });
    const file = join(RESULTS, `metrics-${result.at.replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
    const s = result.scrapeMs;
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
