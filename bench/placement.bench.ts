/**
 * The pure placement function (src/core/placement.ts) against a large pool: a 10-node cluster over
 * 1,000 hosts holding 10,000 nodes of 2,500 clusters; goal ≤ 10 ms. No Docker, no store: the hosts
 * are built in memory from a fixed seed. Run with `npm run bench:placement`; results go to
 * bench/results/placement-*.json. The platform calls it for every create, grow and resize with hosts registered (issue 13).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { FLAVORS } from '../src/core/flavors.js';
import { placementPool, placeNodes, type HostState, type PlacementHost, type PlacementRequest } from '../src/core/placement.js';
import { percentile, summarize } from './stats.js';
import { seededRandom } from '../test/support/seeded-random.js';

const HOSTS = 1_000;
const NODES = 10_000;
const CLUSTERS = 2_500;
const WARMUP = 500;
const RUNS = 5_000;
const GiB = 1024 ** 3;
const flavor = FLAVORS[0]!;



/** 1,000 hosts (32–64 vCPUs, 96–256 GiB; 2 % draining, 1 % down) holding 10,000 nodes of 2,500 clusters. */
function pool(): PlacementHost[] {
  const rnd = seededRandom(13);
  const hosts = Array.from({ length: HOSTS }, (_, i) => {
    const state: HostState = i % 100 < 2 ? 'draining' : i % 100 === 2 ? 'down' : 'ready';
    return {
      name: `host-${String(i).padStart(4, '0')}`,
      state,
      allocatableNanoCpus: (32 + Math.floor(rnd() * 33)) * 1e9,
      allocatableMemoryBytes: (96 + Math.floor(rnd() * 161)) * GiB,
      nodes: [] as { clusterId: string; nanoCpus: number; memoryBytes: number }[],
    };
  });
  for (let n = 0; n < NODES; n++) {
    const host = hosts[Math.floor(rnd() * HOSTS)]!;
    host.nodes.push({ clusterId: `cluster-${Math.floor(rnd() * CLUSTERS)}`, nanoCpus: flavor.vcpus * 1e9, memoryBytes: flavor.memoryBytes });
  }
  return hosts;
}

/** The same pool as the store gives it: hosts, and one row per placed node with its cluster's flavor name. */
function rows(hosts: readonly PlacementHost[]) {
  return {
    hosts: hosts.map(({ nodes: _, ...h }) => h),
    placed: hosts.flatMap((h) => h.nodes.map((n) => ({ host: h.name, clusterId: n.clusterId, flavor: flavor.name }))),
  };
}

function measure(place: () => ReturnType<typeof placeNodes>) {
  const check = place();
  for (let i = 0; i < WARMUP; i++) place();
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = process.hrtime.bigint();
    place();
    samples.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  const s = summarize(samples)!;
  const r = (x: number) => Math.round(x * 1000) / 1000;
  return {
    outcome: check.ok ? `placed on ${new Set(check.hosts).size} distinct hosts` : `refused: ${check.message.slice(0, 160)}…`,
    ms: { n: s.n, median: r(s.median), p99: r(percentile(samples, 99)), max: r(s.max), mean: r(s.mean) },
  };
}

const hosts = pool();
const stored = rows(hosts);
const on = (request: PlacementRequest) => () => placeNodes(hosts, request);
const results = {
  at: new Date().toISOString(),
  node: process.version,
  cpu: cpus()[0]?.model ?? 'unknown',
  nproc: cpus().length,
  pool: { hosts: HOSTS, nodes: NODES, clusters: CLUSTERS, flavor: flavor.name, runs: RUNS, warmup: WARMUP },
  goalMs: 10,
  figures: {
    /** The figure: a new 10-node cluster. */
    create10: measure(on({ clusterId: 'new-cluster', count: 10, flavor })),
    /** Growing a cluster that has nodes in the pool (anti-affinity counts them). */
    grow10: measure(on({ clusterId: 'cluster-7', count: 10, flavor })),
    /** A request no pool can take: the refusal's message is built over every host. */
    refusal: measure(on({ clusterId: 'huge', count: 100_000, flavor })),
    /** From the store's rows (1,000 hosts, 10,000 placed nodes) to the decision: placementPool, then placeNodes. */
    create10FromRows: measure(() => placeNodes(placementPool(stored.hosts, stored.placed, FLAVORS), { clusterId: 'new-cluster', count: 10, flavor })),
  },
};
const dir = join(import.meta.dirname, 'results');
mkdirSync(dir, { recursive: true });
const json = `${JSON.stringify(results, null, 2)}\n`;
writeFileSync(join(dir, `placement-${results.at.replace(/[:.]/g, '-')}.json`), json);
writeFileSync(join(dir, 'placement-latest.json'), json);
process.stdout.write(json);
