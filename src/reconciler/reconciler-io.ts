import type { Log } from '../core/log.js';
import type { Clock, ClusterEngine, ClusterRepository, EventRepository, HostRepository, KickRepository, Pki, WarmShellRepository } from '../core/ports.js';
import type { Telemetry } from '../core/telemetry.js';
import type { Cluster } from '../core/types.js';

/** The parts of the store the reconciler uses: the smallest port, so its unit tests hold it in memory. */
export interface ReconcilerStore {
  readonly clusters: Pick<ClusterRepository, 'getById' | 'listIds' | 'transition' | 'update' | 'delete' | 'getPki' | 'putPki' | 'replaceNodes'>;
  readonly events: Pick<EventRepository, 'append'>;
  readonly kicks: Pick<KickRepository, 'take'>;
  /** Where each node runs (issue 13). */
  readonly hosts: Pick<HostRepository, 'placementsOf' | 'unplace'>;
  /** The warm pool's shells (docs/warm-pool.md): their objects are a future cluster's, not orphans. */
  readonly warmShells?: Pick<WarmShellRepository, 'list'>;
}

/** Everything the reconciler does IO through, wired by the entry point (tests give fakes). */
export interface ReconcilerIo {
  readonly store: ReconcilerStore;
  readonly engine: ClusterEngine;
  readonly pki: Pki;
  readonly clock: Clock;
  /** Waits `ms` (back-off, polling a wait): the clock's companion, so tests can move time instead. */
  readonly sleep: (ms: number) => Promise<void>;
  /** Lines about one cluster carry its `clusterId` and `account` as fields. */
  readonly log: Log;
  /** Stable DNS names for a cluster's endpoint certificate. */
  readonly dnsNames: (cluster: Cluster) => string[];
  /** Addresses the endpoint is advertised on (go into the server certificate). */
  readonly ipAddresses: readonly string[];
  /**
   * Before each engine step: throws CARINA_ERR_FENCED unless this replica still leads — locally (the
   * lease cannot have run out since its last renewal) and in the store's view (its lease and generation).
   */
  readonly checkLease: () => Promise<void>;
  /** Where engine-call and operation durations are reported (metrics). */
  readonly telemetry: Telemetry;
}
