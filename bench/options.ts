import { parseArgs } from 'node:util';

/** The scenarios, in the order they run. `lifecycle` measures create, grow and delete together. */
export const SCENARIOS = ['floor', 'lifecycle', 'concurrency', 'density', 'api'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

/** Names `--only` accepts, and the scenario each selects. */
const ALIASES: Readonly<Record<string, ScenarioName>> = {
  floor: 'floor',
  lifecycle: 'lifecycle',
  create: 'lifecycle',
  grow: 'lifecycle',
  delete: 'lifecycle',
  concurrency: 'concurrency',
  density: 'density',
  memory: 'density',
  api: 'api',
};

/** Where the API scenario's control plane keeps its store. */
export const API_STORES = ['sqlite', 'postgres'] as const;
export type ApiStore = (typeof API_STORES)[number];

export interface BenchOptions {
  readonly mode: 'smoke' | 'full';
  readonly scenarios: readonly ScenarioName[];
  /** Repetitions of each timed figure (floor, create, grow, delete, concurrency, API). */
  readonly runs: number;
  /** Hard limit of the whole run; scenarios stop early and everything is cleaned up. */
  readonly timeoutMs: number;
  /** Node sizes of the timed creates. */
  readonly createSizes: readonly number[];
  /** Size of the cluster that is grown by one node. */
  readonly growFrom: number;
  readonly concurrency: { readonly clusters: number; readonly nodes: number; readonly timeoutMs: number };
  readonly density: { readonly maxNodes: number; readonly budgetMs: number; readonly reserveBytes: number; readonly settleMs: number; readonly batch: number };
  readonly api: {
    readonly clusters: number;
    readonly rates: readonly number[];
    readonly durationSec: number;
    readonly warmupSec: number;
    /** NODE_OPTIONS of the API scenario's control plane (e.g. V8 heap flags), recorded with the results; none when undefined. */
    readonly serverNodeOptions?: string | undefined;
    /** After the GET loads, measure `POST /v1/clusters` answered 202 on a standby replica (nothing builds them); off by default. */
    readonly create: boolean;
    /** Accounts the seeded clusters are spread over, evenly (cluster i to account i mod N); the load uses the first one's key. */
    readonly accounts: number;
    /**
     * The API control plane's store: SQLite in its data dir, or a fresh database on the PostgreSQL
     * server of `CARINA_BENCH_POSTGRES_URL` (read from the environment, not kept in the options, which
     * are written to the results: it may hold a password).
     */
    readonly store: ApiStore;
  };
  /** Abort everything when MemAvailable falls below this (on top of the density scenario's own stop). */
  readonly hardMemFloorBytes: number;
  readonly writeMarkdown: boolean;
}

export const USAGE = `usage: npm run bench -- [options]

  --smoke                 short run for CI: 1 run of floor, 1-node create, grow, delete; API at
                          100 req/s for 3 s with 50 seeded clusters; no concurrency, no density
  --only LIST             comma-separated: floor, create|grow|delete|lifecycle, concurrency,
                          density, api (floor is added whenever lifecycle or concurrency runs)
  --runs N                repetitions of each timed figure (default 5 full, 1 smoke)
  --timeout-min M         hard limit of the whole run (default 75 full, 5 smoke)
  --concurrency-clusters N, --concurrency-nodes N
                          the concurrent creates (default 10 clusters of 3 nodes)
  --density-max-nodes N   stop adding idle nodes at N (default 200)
  --density-settle-sec S  idle time before measuring the idle nodes (default 30)
  --density-minutes M     time budget for adding idle nodes (default 10)
  --density-reserve-gib G stop adding idle nodes when host MemAvailable < G GiB (default 8)
  --api-clusters N        clusters seeded into the store for the API figures (default 1000, smoke 50)
  --api-seconds S         length of each API load run (default 10, smoke 3)
  --api-node-options=STR  NODE_OPTIONS of the API scenario's control plane, e.g.
                          --api-node-options=--max-semi-space-size=2 (recorded with the results)
  --api-accounts N        accounts the seeded clusters are spread over, evenly (default 1); the
                          load uses the first account's key, so a page still holds 100 of its
                          clusters when it has that many (e.g. --api-clusters 10000
                          --api-accounts 100); N must divide --api-clusters
  --api-store STORE       sqlite (default: a file in the control plane's data dir) or postgres:
                          a fresh database per run on the server at CARINA_BENCH_POSTGRES_URL
                          (e.g. postgres://carina@127.0.0.1:17555/postgres; the bench creates
                          and drops carina_bench_* databases there), seeded through the same
                          store code and given to the control plane as CARINA_DATABASE_URL
  --api-create            after the GET loads, also measure POST /v1/clusters (the API's accept,
                          202) at 10 req/s, 50 creates a run, on the same store with the control
                          plane restarted as a standby (the lease held by an absent replica), so
                          no reconciler builds the clusters created
  --no-markdown           write the results JSON only, leave BENCHMARKS.md alone
  --help
`;

const GiB = 1024 ** 3;

function positive(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number (got "${raw}")`);
  return n;
}

/** Parses the command line (without node and the script); throws with a message for bad input. */
export function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): BenchOptions | 'help' {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      smoke: { type: 'boolean', default: false },
      only: { type: 'string' },
      runs: { type: 'string' },
      'timeout-min': { type: 'string' },
      'concurrency-clusters': { type: 'string' },
      'concurrency-nodes': { type: 'string' },
      'density-max-nodes': { type: 'string' },
      'density-settle-sec': { type: 'string' },
      'density-minutes': { type: 'string' },
      'density-reserve-gib': { type: 'string' },
      'api-clusters': { type: 'string' },
      'api-seconds': { type: 'string' },
      'api-node-options': { type: 'string' },
      'api-accounts': { type: 'string' },
      'api-store': { type: 'string' },
      'api-create': { type: 'boolean', default: false },
      'no-markdown': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return 'help';
  const smoke = values.smoke;

  let scenarios: ScenarioName[];
  if (values.only !== undefined) {
    const picked = new Set<ScenarioName>();
    for (const word of values.only.split(',').map((w) => w.trim().toLowerCase()).filter(Boolean)) {
      const s = ALIASES[word];
      if (!s) throw new Error(`--only: unknown scenario "${word}" (known: ${Object.keys(ALIASES).join(', ')})`);
      picked.add(s);
    }
    // Lifecycle figures are reported as ratios to the floor measured in the same run.
    if (picked.has('lifecycle') || picked.has('concurrency')) picked.add('floor');
    scenarios = SCENARIOS.filter((s) => picked.has(s));
  } else {
    scenarios = smoke ? ['floor', 'lifecycle', 'api'] : [...SCENARIOS];
  }
  if (scenarios.length === 0) throw new Error('--only selected no scenario');

  const runs = Math.round(positive('runs', values.runs, smoke ? 1 : 5));
  const apiClusters = Math.round(positive('api-clusters', values['api-clusters'], smoke ? 50 : 1000));
  const apiAccounts = Math.round(positive('api-accounts', values['api-accounts'], 1));
  if (apiClusters % apiAccounts !== 0) throw new Error(`--api-accounts ${apiAccounts} must divide --api-clusters ${apiClusters} (the clusters are spread evenly)`);
  const apiStore = (values['api-store'] ?? 'sqlite').trim().toLowerCase();
  if (!(API_STORES as readonly string[]).includes(apiStore)) throw new Error(`--api-store: unknown store "${values['api-store']}" (known: ${API_STORES.join(', ')})`);
  const postgresUrl = apiStore === 'postgres' ? env.CARINA_BENCH_POSTGRES_URL : undefined;
  if (apiStore === 'postgres' && !/^postgres(ql)?:\/\//i.test(postgresUrl ?? '')) {
    throw new Error('--api-store postgres needs CARINA_BENCH_POSTGRES_URL=postgres://user@host:port/db (a server where the bench may create and drop databases)');
  }
  return {
    mode: smoke ? 'smoke' : 'full',
    scenarios,
    runs,
    timeoutMs: positive('timeout-min', values['timeout-min'], smoke ? 5 : 75) * 60_000,
    createSizes: smoke ? [1] : [1, 3, 5],
    growFrom: smoke ? 1 : 3,
    concurrency: {
      clusters: Math.round(positive('concurrency-clusters', values['concurrency-clusters'], 10)),
      nodes: Math.round(positive('concurrency-nodes', values['concurrency-nodes'], 3)),
      timeoutMs: 180_000,
    },
    density: {
      maxNodes: Math.round(positive('density-max-nodes', values['density-max-nodes'], 200)),
      budgetMs: positive('density-minutes', values['density-minutes'], 10) * 60_000,
      reserveBytes: positive('density-reserve-gib', values['density-reserve-gib'], 8) * GiB,
      settleMs: positive('density-settle-sec', values['density-settle-sec'], 30) * 1000,
      batch: 2,
    },
    api: {
      clusters: apiClusters,
      rates: smoke ? [100] : [100, 1000],
      durationSec: positive('api-seconds', values['api-seconds'], smoke ? 3 : 10),
      warmupSec: 1,
      serverNodeOptions: values['api-node-options'],
      create: values['api-create'],
      accounts: apiAccounts,
      store: apiStore as ApiStore,
    },
    hardMemFloorBytes: 3 * GiB,
    writeMarkdown: !values['no-markdown'],
  };
}
