import { useEffect, useMemo, useRef } from 'react';
import { API_PATHS, ApiError, routePath } from '../api';
import { Link } from '../components/link';
import { ErrorNotice, Loading } from '../components/notice';
import { StatusBadge } from '../components/status-badge';
import { CONVERGING_STATUSES } from '../../../src/wire/cluster-status';
import { ErrorCode } from '../../../src/wire/error-codes';
import { ago, flavorSize, readyText, when } from '../format';
import { usePortal } from '../portal-context';
import type { Cluster, ClusterEvent, Flavor, Quotas } from '../types';
import { parseUsage, parseUsageTotal, type NodeUsage } from '../usage';
import { usePoll } from '../use-poll';
import { debounce, STREAM_RECHECK_MS, useEventStream } from '../use-event-stream';
import { AccessPanel } from './access-panel';
import { ClusterActions } from './cluster-actions';
import { POLL_MS } from './clusters-page';
import { EventLog } from './event-log';
import { NodesTable, reservedSummary } from './nodes-table';

export interface ClusterData {
  readonly cluster: Cluster;
  readonly events: readonly ClusterEvent[];
  /** From GET …/usage when the server has it. */
  readonly usage: { readonly nodes: ReadonlyMap<number, NodeUsage>; readonly total: NodeUsage | undefined } | undefined;
  readonly quotas: Quotas | undefined;
  readonly flavor: Flavor | undefined;
}

/** How often node usage refreshes (docker stats is slower than a status read). */
export const USAGE_POLL_MS = 5000;

/** What Carina is doing while a cluster is busy. */
export const BUSY_TEXT: Readonly<Record<string, string>> = Object.freeze({
  new: 'Carina has queued this cluster and starts building it in a moment.',
  building: 'Carina is starting the nodes and forming the swarm. This usually takes a few seconds (about a minute the first time on a new server).',
  growing: 'Carina is starting the new nodes and joining them to the swarm.',
  shrinking: 'Carina is draining the surplus workers, waiting for their tasks to move, then removing them.',
  rebuilding: 'Carina is checking every part of the cluster and repairing what it finds. Workloads keep running.',
  deleting: 'Carina is removing the nodes, volumes and network of this cluster.',
});

/** The cluster's page body, from loaded data (testable without a server). */
export function ClusterView({ data, onChanged, now }: { readonly data: ClusterData; readonly onChanged: () => void; readonly now?: number }) {
  const { cluster, events, usage, quotas, flavor } = data;
  const busy = CONVERGING_STATUSES.has(cluster.status);
  return (
    <>
      <div className="page-head">
        <div>
          <h1 className="cluster-title">
            {cluster.name} <StatusBadge status={cluster.status} />
          </h1>
          <dl className="facts">
            <div>
              <dt>Nodes</dt>
              <dd data-testid="ready">{readyText(cluster)}</dd>
            </div>
            <div>
              <dt>Flavor</dt>
              <dd>
                {cluster.flavor}
                {flavor ? <span className="muted"> ({flavorSize(flavor)})</span> : null}
              </dd>
            </div>
            <div>
              <dt>Autoscale</dt>
              <dd>{cluster.autoscale ? 'On' : 'Off'}</dd>
            </div>
            <div>
              <dt>Endpoint</dt>
              <dd>
                <code>{cluster.endpoint}</code>
              </dd>
            </div>
            <div>
              <dt>Created</dt>
              <dd>
                <time dateTime={cluster.created_at} title={when(cluster.created_at)}>
                  {ago(cluster.created_at, now)}
                </time>
              </dd>
            </div>
          </dl>
        </div>
      </div>

      {cluster.status === 'error' ? (
        <div className="notice notice-error notice-big" role="alert" data-testid="status-reason">
          <p className="notice-title">This cluster stopped in error</p>
          <p>{cluster.status_reason ?? 'Carina did not record a reason. Rebuild the cluster to retry, or delete it.'}</p>
          <p className="muted">Rebuild (under Manage) retries the failed step without touching running workloads; Delete removes the cluster.</p>
        </div>
      ) : busy ? (
        <p className="notice notice-info" role="status">
          <span className="spinner" aria-hidden="true" />
          {BUSY_TEXT[cluster.status]} This page updates by itself.
        </p>
      ) : null}

      <div className="grid">
        <section className="card" aria-labelledby="nodes-title">
          <h2 id="nodes-title">Nodes</h2>
          <NodesTable nodes={cluster.node_details ?? []} usage={usage?.nodes} wanted={cluster.nodes} />
          {reservedSummary(usage?.total) ? (
            <p className="hint" data-testid="reserved">
              {reservedSummary(usage?.total)}
              {cluster.autoscale ? ' Autoscale adds a node when either reaches 80 %.' : ''}
            </p>
          ) : null}
        </section>
        <AccessPanel cluster={cluster} />
        <ClusterActions cluster={cluster} quotas={quotas} onChanged={onChanged} />
        <section className="card" aria-labelledby="events-title">
          <h2 id="events-title">Events</h2>
          <EventLog events={events} now={now} />
        </section>
      </div>
    </>
  );
}

/** `/clusters/NAME`: refreshed at each of its events (the stream), or every 1.5 s without one; the event log is fetched incrementally. */
export function ClusterPage({ name }: { readonly name: string }) {
  const { api } = usePortal();
  const cache = useRef<{ name: string; events: ClusterEvent[]; usage: boolean; quotas?: Quotas; flavors?: Flavor[] }>({ name, events: [], usage: true });
  if (cache.current.name !== name) cache.current = { name, events: [], usage: true };

  // Usage (docker stats on every node) is slower and changes slowly: its own, slower poll, so the
  // status refresh never waits for it. A server without the endpoint (404 "no such endpoint") is not asked again.
  const usage = usePoll<ClusterData['usage']>(
    async () => {
      const c = cache.current;
      if (!c.usage) return undefined;
      try {
        const body = await api.get<unknown>(routePath(API_PATHS.usage, { name }));
        return { nodes: parseUsage(body), total: parseUsageTotal(body) };
      } catch (e) {
        if (e instanceof ApiError && e.code === ErrorCode.NOT_FOUND) c.usage = false;
        return undefined;
      }
    },
    USAGE_POLL_MS,
    `usage:${name}`,
  );

  // The cluster's event stream: each event is added to the log and reloads the cluster at once;
  // while it is live the page reloads only every STREAM_RECHECK_MS and does not poll the log.
  const reload = useRef(() => undefined as void);
  const reloadSoon = useMemo(() => debounce(() => reload.current(), 100), []);
  const live = useEventStream(
    routePath(API_PATHS.events, { name }),
    (data) => {
      const e = JSON.parse(data) as ClusterEvent;
      const c = cache.current;
      if (!c.events.some((known) => known.id === e.id)) c.events = [...c.events, e];
      reloadSoon();
    },
    reloadSoon,
  );

  const polled = usePoll<Omit<ClusterData, 'usage'>>(
    async () => {
      const c = cache.current;
      const last = c.events[c.events.length - 1]?.id;
      const [cluster, fresh, quotas, flavors] = await Promise.all([
        api.get<Cluster>(routePath(API_PATHS.getCluster, { name })),
        live
          ? []
          : api.get<{ events: ClusterEvent[] }>(`${routePath(API_PATHS.events, { name })}${last === undefined ? '' : `?after=${last}`}`).then((r) => r.events, () => []),
        c.quotas ?? api.get<Quotas>(routePath(API_PATHS.quotas)).catch(() => undefined),
        c.flavors ?? api.get<{ flavors: Flavor[] }>(routePath(API_PATHS.flavors)).then((r) => r.flavors, () => undefined),
      ]);
      const known = new Set(c.events.map((e) => e.id));
      c.events = [...c.events, ...fresh.filter((e) => !known.has(e.id))].sort((a, b) => a.id - b.id);
      if (quotas) c.quotas = quotas;
      if (flavors) c.flavors = flavors;
      return { cluster, events: c.events, quotas, flavor: flavors?.find((f) => f.name === cluster.flavor) };
    },
    live ? STREAM_RECHECK_MS : POLL_MS,
    `cluster:${name}`,
  );
  reload.current = polled.refresh;

  // A node that joins or leaves gets its figures at once, not at the next slow poll.
  const nodeSet = polled.data ? `${polled.data.cluster.nodes_ready ?? 0}/${polled.data.cluster.node_details?.length ?? 0}` : '';
  const refreshUsage = usage.refresh;
  useEffect(() => {
    if (nodeSet) refreshUsage();
  }, [nodeSet, refreshUsage]);

  const gone = polled.error?.code === ErrorCode.CLUSTER_NOT_FOUND;
  return (
    <main id="main" className="page">
      <p className="crumbs">
        <Link href="/">← Clusters</Link>
      </p>
      {gone ? (
        <div className="empty">
          <h1>No cluster named “{name}”</h1>
          <p>It may have been deleted, or the name in the address is misspelled.</p>
          <Link href="/" className="button button-primary">
            See your clusters
          </Link>
        </div>
      ) : (
        <>
          {polled.error ? (
            <ErrorNotice title={polled.data ? 'Lost contact with the server — what you see may be out of date.' : `Cluster “${name}” could not be loaded.`} error={polled.error} onRetry={polled.refresh} />
          ) : null}
          {polled.data ? (
            <ClusterView
              data={{ ...polled.data, usage: usage.data }}
              onChanged={() => {
                polled.refresh();
                usage.refresh();
              }}
            />
          ) : polled.error ? null : (
            <Loading>Loading {name}…</Loading>
          )}
        </>
      )}
    </main>
  );
}
