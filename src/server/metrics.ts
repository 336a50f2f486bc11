import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { describeCause } from '../core/errors.js';
import { NODE_STATES } from '../core/node-records.js';
import { PolicyCode } from '../core/policy-codes.js';
import { gatewayOutcome, statusClass, type AutoscaleOutcome, type ClusterOperation, type EngineActionType, type Telemetry } from '../core/telemetry.js';
import { CLUSTER_STATUSES, type ClusterStatus } from '../core/types.js';
import type { HostUsage } from '../core/host-capacity.js';
import type { WarmShell } from '../core/ports.js';
import { HOST_STATES } from '../core/placement.js';

/** What the gauges read at scrape time: the store's grouped counts and this replica's role. */
export interface MetricSources {
  readonly clustersByStatus: () => Promise<ReadonlyMap<ClusterStatus, number>>;
  readonly nodesByState: () => Promise<ReadonlyMap<string, number>>;
  /**
   * A value that moves whenever the two counts could (ClusterRepository.fleetVersion): when given,
   * a scrape counts again only when it moved (or `recountAfterMs` passed), so the scrape of a quiet
   * fleet reads one row instead of grouping every cluster and node.
   */
  readonly fleetVersion?: (() => Promise<string>) | undefined;
  /** Whether this replica holds the control-plane lease now. */
  readonly leads: () => boolean;
  /** The registered Docker hosts with what their placed nodes reserve (issue 13); none when omitted. */
  readonly hosts?: (() => Promise<readonly HostUsage[]>) | undefined;
  /** The warm pool's shells (docs/warm-pool.md); no series when omitted. */
  readonly warmShells?: (() => Promise<readonly Pick<WarmShell, 'nodeCount' | 'ready'>[]>) | undefined;
  readonly log: (line: string) => void;
}

/** API answers take about a millisecond: finer buckets at the low end than prom-client's defaults. */
const HTTP_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** An engine call: a swarm join in milliseconds, a node created and Ready in seconds, an image load in tens. */
const ENGINE_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
/** A create, grow or delete: seconds to minutes. */
const OPERATION_BUCKETS = [1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600, 1800];
const OPERATIONS: readonly ClusterOperation[] = ['create', 'grow', 'shrink', 'repair', 'delete'];
const AUTOSCALE_OUTCOMES: readonly AutoscaleOutcome[] = ['grow', 'quota', 'none', 'cooldown'];

/**
 * The Telemetry port on prom-client, with a registry of its own (no global one): process and
 * event-loop metrics, what the layers report, and gauges the store answers in two grouped queries,
 * made again at a scrape only when the fleet version moved (FleetCounts). Labels are bounded sets Carina defines (routes, statuses, actions, codes), never a
 * name a tenant chose. `docs/metrics.md` lists every series.
 */
export class PrometheusTelemetry implements Telemetry {
  readonly registry = new Registry();
  readonly #http: Histogram<'method' | 'route' | 'status_class'>;
  readonly #engine: Histogram<'action' | 'outcome'>;
  readonly #operations: Histogram<'operation'>;
  readonly #autoscale: Counter<'outcome'>;
  readonly #gateway: Counter<'outcome' | 'code'>;
  readonly #received: Counter;
  readonly #sent: Counter;
  readonly #store: Counter<'repository'>;

  constructor(sources: MetricSources, options: { readonly processMetrics?: boolean; readonly recountAfterMs?: number } = {}) {
    const registers = [this.registry];
    if (options.processMetrics !== false) {
      collectDefaultMetrics({ register: this.registry });
      // Gauges named like counters (promtool refuses them); the same figures by type remain (nodejs_active_handles…).
      for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) this.registry.removeSingleMetric(name);
    }
    this.#http = new Histogram({ name: 'carina_http_request_duration_seconds', help: 'Time the API took to answer a request, by method, route pattern and status class.', labelNames: ['method', 'route', 'status_class'], buckets: HTTP_BUCKETS, registers });
    this.#engine = new Histogram({ name: 'carina_reconcile_action_duration_seconds', help: 'Time of the engine call of each action the reconciler applied, by action and outcome (ok, error).', labelNames: ['action', 'outcome'], buckets: ENGINE_BUCKETS, registers });
    this.#operations = new Histogram({ name: 'carina_cluster_operation_duration_seconds', help: 'Time a cluster took to finish an operation (create, grow, shrink, repair, delete), from the store\'s times.', labelNames: ['operation'], buckets: OPERATION_BUCKETS, registers });
    this.#autoscale = new Counter({ name: 'carina_autoscale_decisions_total', help: 'Autoscaler decisions on active autoscaled clusters, by outcome (grow, quota, none, cooldown).', labelNames: ['outcome'], registers });
    this.#gateway = new Counter({ name: 'carina_gateway_requests_total', help: 'Requests through the clusters\' Docker API gateways, by outcome and CARINA-10xx code (none when forwarded).', labelNames: ['outcome', 'code'], registers });
    this.#received = new Counter({ name: 'carina_gateway_received_bytes_total', help: 'Bytes the gateways received from clients (TLS included), counted when each connection closes.', registers });
    this.#sent = new Counter({ name: 'carina_gateway_sent_bytes_total', help: 'Bytes the gateways sent to clients (TLS included), counted when each connection closes.', registers });
    this.#store = new Counter({ name: 'carina_store_errors_total', help: 'Store calls that failed because the store did not answer or could not write (CARINA_ERR_STORE_UNAVAILABLE), by repository.', labelNames: ['repository'], registers });
    // Every series of a bounded set exists from the start (at 0), so rate() and alerts see the first one.
    for (const operation of OPERATIONS) this.#operations.zero({ operation });
    for (const outcome of AUTOSCALE_OUTCOMES) this.#autoscale.inc({ outcome }, 0);
    for (const code of [null, ...Object.values(PolicyCode)]) this.#gateway.inc(gatewayLabels(code), 0);
    this.#received.inc(0);
    this.#sent.inc(0);
    const { log } = sources;
    const fleet = new FleetCounts(sources, options.recountAfterMs ?? RECOUNT_AFTER_MS);
    new Gauge({
      name: 'carina_clusters',
      help: 'Clusters by status, as stored.',
      labelNames: ['status'],
      registers,
      async collect() {
        const counts = await scraped(this, 'clusters by status', () => fleet.clustersByStatus(), log);
        for (const status of counts ? CLUSTER_STATUSES : []) this.set({ status }, counts?.get(status) ?? 0);
      },
    });
    new Gauge({
      name: 'carina_nodes',
      help: 'Nodes of all clusters by state as last observed (starting, joining, ready, stopped).',
      labelNames: ['state'],
      registers,
      async collect() {
        const counts = await scraped(this, 'nodes by state', () => fleet.nodesByState(), log);
        for (const state of counts ? new Set([...NODE_STATES, ...counts.keys()]) : []) this.set({ state }, counts?.get(state) ?? 0);
      },
    });
    const shells = sources.warmShells;
    if (shells) {
      new Gauge({
        name: 'carina_warm_pool_nodes',
        help: 'Nodes of the warm pool\'s shells (clusters built ahead of requests), by state: ready (a create may take them) or building.',
        labelNames: ['state'],
        registers,
        async collect() {
          const all = await scraped(this, 'warm pool', shells, log);
          const count = (ready: boolean) => (all ?? []).filter((s) => s.ready === ready).reduce((n, s) => n + s.nodeCount, 0);
          if (all) for (const [state, ready] of [['ready', true], ['building', false]] as const) this.set({ state }, count(ready));
        },
      });
    }
    // Hosts: states, and per host (an operator's name, a bounded set) what is allocatable and reserved.
    let hostFigures: Promise<readonly HostUsage[] | undefined> | undefined;
    /** One store read per scrape for the five host gauges (the first gauge collected starts it, the last ends it). */
    const hostsOnce = (gauge: Gauge<string>, what: string, last = false): Promise<readonly HostUsage[] | undefined> => {
      const source = sources.hosts;
      if (!source) return Promise.resolve(undefined);
      hostFigures ??= scraped(gauge, what, source, log);
      const figures = hostFigures;
      if (last) hostFigures = undefined;
      return figures.then((f) => (gauge.reset(), f));
    };
    const perHost = (name: string, help: string, value: (u: HostUsage) => number, last = false) =>
      new Gauge({
        name,
        help,
        labelNames: ['host'],
        registers,
        async collect() {
          for (const u of (await hostsOnce(this, name, last)) ?? []) this.set({ host: u.host.name }, value(u));
        },
      });
    new Gauge({
      name: 'carina_hosts',
      help: 'Registered Docker hosts by state (ready, draining, down).',
      labelNames: ['state'],
      registers,
      async collect() {
        const figures = await hostsOnce(this, 'hosts by state');
        for (const state of figures ? HOST_STATES : []) this.set({ state }, figures?.filter((u) => u.host.state === state).length ?? 0);
      },
    });
    perHost('carina_host_allocatable_cpus', 'CPUs placement may reserve on a host (before the CPU overcommit).', (u) => u.host.allocatableNanoCpus / 1e9);
    perHost('carina_host_reserved_cpus', 'CPUs the flavors of the nodes placed on a host reserve.', (u) => u.reservedNanoCpus / 1e9);
    perHost('carina_host_allocatable_memory_bytes', 'Memory placement may reserve on a host.', (u) => u.host.allocatableMemoryBytes);
    perHost('carina_host_reserved_memory_bytes', 'Memory the flavors of the nodes placed on a host reserve.', (u) => u.reservedMemoryBytes, true);
    new Gauge({
      name: 'carina_leader',
      help: 'Whether this replica holds the control-plane lease (1) or stands by (0).',
      registers,
      collect() {
        this.set(sources.leads() ? 1 : 0);
      },
    });
  }

  /**
   * The exposition of every metric (Prometheus text format 0.0.4, as `registry.metrics()` writes it).
   * One metric at a time, yielding to the event loop between them: the registry's own `metrics()`
   * collects and serialises all ~45 in one stretch (process metrics read /proc, one entry per open
   * descriptor — a gateway listener each —; the histograms write every bucket), which held API requests
   * that arrived meanwhile for the whole scrape (BENCHMARKS.md, "Metrics scrape"). Between metrics,
   * those requests are served.
   */
  async scrape(): Promise<string> {
    const parts: string[] = [];
    for (const metric of this.registry.getMetricsAsArray()) {
      parts.push(await this.registry.getSingleMetricAsString(metric.name));
      await yieldToEventLoop();
    }
    return `${parts.join('\n\n')}\n`;
  }

  /** The exposition's media type. */
  get contentType(): string {
    return this.registry.contentType;
  }

  // About a microsecond per answer (prom-client hashes the labels at each observation; a cached child
  // hashes them too, so there is none): BENCHMARKS.md, "Metrics scrape".
  httpRequest(method: string, route: string | undefined, status: number, seconds: number): void {
    this.#http.observe({ method, route: route ?? 'unmatched', status_class: statusClass(status) }, seconds);
  }

  engineCall(action: EngineActionType): (outcome: 'ok' | 'error') => void {
    const end = this.#engine.startTimer({ action });
    return (outcome) => void end({ outcome });
  }

  clusterOperation(operation: ClusterOperation, seconds: number): void {
    this.#operations.observe({ operation }, seconds);
  }

  autoscaleDecision(outcome: AutoscaleOutcome): void {
    this.#autoscale.inc({ outcome });
  }

  gatewayRequest(deniedCode: string | null): void {
    this.#gateway.inc(gatewayLabels(deniedCode));
  }

  gatewayBytes(received: number, sent: number): void {
    this.#received.inc(received);
    this.#sent.inc(sent);
  }

  storeError(repository: string): void {
    this.#store.inc({ repository });
  }
}

/** Counts kept while the fleet version holds are counted again after this long anyway (a bound on any staleness). */
const RECOUNT_AFTER_MS = 60_000;

/** The two counts of one read, each on its own (one failing leaves the other's gauge in the scrape). */
interface Counts {
  readonly clusters: Promise<ReadonlyMap<ClusterStatus, number>>;
  readonly nodes: Promise<ReadonlyMap<string, number>>;
}

/**
 * The store's two grouped counts, kept with the fleet version they were counted at. A scrape reads the
 * version (one row) and counts again only when it moved: a `COUNT(*)` over 1,000 clusters and their
 * nodes holds SQLite's synchronous driver, so the event loop, for about half a millisecond at every
 * scrape (BENCHMARKS.md, "Metrics scrape"). Without a version source each gauge asks its own source at every scrape.
 */
class FleetCounts {
  readonly #sources: MetricSources;
  readonly #recountAfterMs: number;
  #kept: { readonly version: string; readonly at: number; readonly counts: Counts } | undefined;
  /**
   * A read in flight, shared by a gauge that asks meanwhile (`registry.metrics()` collects the two at
   * once; `scrape()` one after the other, and the second finds the counts kept under the same version).
   */
  #reading: Promise<Counts> | undefined;

  constructor(sources: MetricSources, recountAfterMs: number) {
    this.#sources = sources;
    this.#recountAfterMs = recountAfterMs;
  }

  /** The read of the scrape under way: made by the clusters gauge (collected first), taken by the nodes gauge (after it), so a scrape reads the version once. */
  #scrapeRead: Promise<Counts> | undefined;

  async clustersByStatus(): Promise<ReadonlyMap<ClusterStatus, number>> {
    const { fleetVersion, clustersByStatus } = this.#sources;
    if (!fleetVersion) return clustersByStatus();
    const read = this.#counts(fleetVersion);
    this.#scrapeRead = read;
    return (await read).clusters;
  }

  async nodesByState(): Promise<ReadonlyMap<string, number>> {
    const { fleetVersion, nodesByState } = this.#sources;
    if (!fleetVersion) return nodesByState();
    const read = this.#scrapeRead ?? this.#counts(fleetVersion);
    this.#scrapeRead = undefined;
    return (await read).nodes;
  }

  #counts(fleetVersion: () => Promise<string>): Promise<Counts> {
    this.#reading ??= this.#read(fleetVersion).finally(() => (this.#reading = undefined));
    return this.#reading;
  }

  async #read(fleetVersion: () => Promise<string>): Promise<Counts> {
    const now = Date.now();
    let version: string;
    try {
      version = await fleetVersion();
    } catch (e) {
      this.#kept = undefined; // the store is out: no figure rather than a stale one
      throw e;
    }
    const kept = this.#kept;
    if (kept !== undefined && kept.version === version && now - kept.at < this.#recountAfterMs) return kept.counts;
    // The version is read before the counts: counts that already show a newer write are kept under the
    // older version and counted again at the next scrape, never the other way round. A failed count is not kept.
    const counts = this.#count();
    const entry = { version, at: now, counts };
    this.#kept = entry;
    const forget = () => {
      if (this.#kept === entry) this.#kept = undefined;
    };
    counts.clusters.catch(forget);
    counts.nodes.catch(forget);
    return counts;
  }

  #count(): Counts {
    return { clusters: this.#sources.clustersByStatus(), nodes: this.#sources.nodesByState() };
  }
}

function gatewayLabels(deniedCode: string | null): { outcome: string; code: string } {
  return { outcome: gatewayOutcome(deniedCode), code: deniedCode ?? 'none' };
}

/**
 * What a gauge's source answers, or undefined when it fails (the store is out): the gauge then has
 * no series in this scrape (a stale count would look current) and the rest of the scrape still works.
 */
async function scraped<T>(gauge: Gauge<string>, what: string, source: () => Promise<T>, log: (line: string) => void): Promise<T | undefined> {
  gauge.reset();
  try {
    return await source();
  } catch (e) {
    log(`metrics: ${what} left out of this scrape: ${describeCause(e)}`);
    return undefined;
  }
}
