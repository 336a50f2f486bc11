/**
 * Issue 16's idle figure: a real control plane (`carina-server up`) holding 1,000 clusters seeded
 * straight into its store as the API benchmark seeds them (key material and a gateway listener
 * each), left alone: its CPU over a minute and its RSS sampled every second. What it spends is the
 * background passes (reconciler, gateway sync, autoscaler, leases, registry keeper). The API
 * scenario's idle window is a few seconds, too short for passes that run every 5–30 s. Run with
 * `npm run bench:idle` (builds first); BENCH_IDLE_CLUSTERS, BENCH_IDLE_SECONDS change the figures;
 * results go to bench/results/idle-*.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../src/store/open-store.js';
import { hostDocker } from './docker.js';
import { Guard } from './guard.js';
import { processCpuSeconds } from './machine.js';
import { seedClusters } from './scenarios/api.js';
import { BenchServer } from './server.js';
import { summarize } from './stats.js';

const CLUSTERS = Number(process.env.BENCH_IDLE_CLUSTERS ?? 1_000);
const SECONDS = Number(process.env.BENCH_IDLE_SECONDS ?? 60);
/** After start-up, before measuring: the first passes (every listener opening) are not idle. */
const SETTLE_MS = 15_000;
const RESULTS = new URL('results', import.meta.url).pathname;
const log = (line: string) => console.log(`[idle ${new Date().toISOString().slice(11, 19)}] ${line}`);

const guard = new Guard({ timeoutMs: (SECONDS + 240) * 1000, hardMemFloorBytes: 2 * 1024 ** 3 });
guard.install();
const server = new BenchServer({ name: 'idle', portRange: { from: 26960, to: 26979 }, logDir: tmpdir() }, hostDocker(), guard);
try {
  await server.createAccount('bench', '--clusters', String(CLUSTERS), '--nodes', '5');
  const store = await openStore({ url: `sqlite:${join(server.dataDir, 'carina.db')}` });
  try {
    await seedClusters(store, 'bench', CLUSTERS, guard);
  } finally {
    await store.close();
  }
  await server.start();
  await guard.sleep(SETTLE_MS);
  const load = loadavg()[0] ?? 0;
  const cpu0 = processCpuSeconds(server.pid ?? -1);
  const t0 = performance.now();
  const rss: number[] = [];
  for (let i = 0; i < SECONDS; i++) {
    rss.push(server.memory()?.rssBytes ?? Number.NaN);
    await guard.sleep(1_000);
  }
  const cpusBusy = (processCpuSeconds(server.pid ?? -1) - cpu0) / ((performance.now() - t0) / 1000);
  const mib = (b: number) => Math.round((b / 1024 ** 2) * 10) / 10;
  const s = summarize(rss);
  const result = {
    at: new Date().toISOString(),
    machine: { cpus: cpus().length, loadBefore: load, loadAfter: loadavg()[0] ?? 0 },
    clusters: CLUSTERS,
    seconds: SECONDS,
    cpusBusy: Math.round(cpusBusy * 10_000) / 10_000,
    rssMiB: { min: mib(Math.min(...rss)), median: mib(s?.median ?? Number.NaN), max: mib(Math.max(...rss)) },
  };
  log(`${CLUSTERS} clusters, idle for ${SECONDS} s: ${result.cpusBusy} CPUs busy; RSS min ${result.rssMiB.min} / median ${result.rssMiB.median} / max ${result.rssMiB.max} MiB (load ${load.toFixed(1)} → ${result.machine.loadAfter.toFixed(1)})`);
  mkdirSync(RESULTS, { recursive: true });
  const file = join(RESULTS, `idle-${result.at.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  log(`results: ${file}`);
} finally {
  await server.cleanup();
  guard.dispose();
}
