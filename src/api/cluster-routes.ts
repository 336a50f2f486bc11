import type { FastifyInstance, FastifyRequest } from 'fastify';
import { FLAVORS } from '../core/flavors.js';
import type { Account } from '../core/types.js';
import { buildBundle } from '../pki/bundle.js';
import type { ApiDeps } from './app.js';
import { presentAuditEntry, presentCluster, presentEvent, presentFlavor, presentNode, presentUsage } from './presenters.js';
import { parsePageLimit } from '../core/validation.js';
import type { FlavorList, Quotas } from '../wire/account-schemas.js';
import type { AuditList, AuditQuery, EventList, EventsQuery, RotatedCredentials, Usage } from '../wire/cluster-record-schemas.js';
import type { Cluster, ClusterList, ClusterNameParams, CreateCluster, GrowCluster, ListClustersQuery, ResizeCluster, SetAutoscale } from '../wire/cluster-schemas.js';
import { wireRoute } from './wire-route.js';

type Named = { Params: ClusterNameParams };

const accountOf = (request: FastifyRequest): Account => {
  if (!request.account) throw new Error('route registered without authentication');
  return request.account;
};

/** `/v1/clusters…`, `/v1/quotas`, `/v1/flavors`: the contract's routes (src/wire/routes.ts) over the cluster service. */
export function registerClusterRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { clusters, store, advertiseAddress: host } = deps;

  app.route<{ Body: CreateCluster; Reply: Cluster }>({
    ...wireRoute('createCluster'),
    handler: async (req, reply) => {
      const cluster = await clusters.create(accountOf(req), req.body);
      return reply.status(202).send(presentCluster(cluster, 0, host));
    },
  });

  app.route<{ Querystring: ListClustersQuery }>({
    ...wireRoute('listClusters'),
    handler: async (req): Promise<ClusterList> => {
      const page = await clusters.list(accountOf(req), { after: req.query.after, limit: parsePageLimit(req.query.limit) });
      const ready = await store.clusters.countReadyNodes(page.clusters.map((c) => c.id));
      return { clusters: page.clusters.map((c) => presentCluster(c, ready.get(c.id) ?? 0, host)), next: page.next };
    },
  });

  app.route<Named>({
    ...wireRoute('getCluster'),
    handler: async (req): Promise<Cluster> => {
      const cluster = await clusters.get(accountOf(req), req.params.name);
      const nodes = await store.clusters.listNodes(cluster.id);
      const ready = nodes.filter((n) => n.status === 'ready').length;
      return { ...presentCluster(cluster, ready, host), node_details: nodes.map(presentNode) };
    },
  });

  app.route<Named & { Body: GrowCluster }>({
    ...wireRoute('growCluster'),
    handler: async (req, reply) => {
      const cluster = await clusters.grow(accountOf(req), req.params.name, req.body.by);
      return reply.status(202).send(presentCluster(cluster, null, host));
    },
  });

  app.route<Named & { Body: ResizeCluster }>({
    ...wireRoute('resizeCluster'),
    handler: async (req, reply) => {
      const cluster = await clusters.resize(accountOf(req), req.params.name, req.body.count);
      return reply.status(202).send(presentCluster(cluster, null, host));
    },
  });

  app.route<Named>({
    ...wireRoute('rebuildCluster'),
    handler: async (req, reply) => {
      const cluster = await clusters.rebuild(accountOf(req), req.params.name);
      return reply.status(202).send(presentCluster(cluster, null, host));
    },
  });

  app.route<Named & { Body: SetAutoscale }>({
    ...wireRoute('setAutoscale'),
    handler: async (req): Promise<Cluster> => presentCluster(await clusters.setAutoscale(accountOf(req), req.params.name, req.body.enabled), null, host),
  });

  app.route<Named>({
    ...wireRoute('deleteCluster'),
    handler: async (req, reply) => {
      const cluster = await clusters.delete(accountOf(req), req.params.name);
      return reply.status(202).send(presentCluster(cluster, null, host));
    },
  });

  app.route<Named>({
    ...wireRoute('credentials'),
    handler: async (req, reply) => {
      const { cluster, pki } = await clusters.credentials(accountOf(req), req.params.name);
      const etag = `"${pki.clientSerial}"`;
      if ((req.headers['if-none-match'] ?? '').split(',').some((t) => t.trim().replace(/^W\//, '') === etag)) {
        return reply.status(304).header('etag', etag).header('cache-control', 'no-store').send();
      }
      const zip = await buildBundle({ pki, clusterName: cluster.name, host, port: cluster.port });
      return reply
        .header('content-type', 'application/zip')
        .header('content-disposition', `attachment; filename="${cluster.name}.zip"`)
        .header('etag', `"${pki.clientSerial}"`)
        .header('cache-control', 'no-store')
        .send(zip);
    },
  });

  app.route<Named>({
    ...wireRoute('rotateCredentials'),
    handler: async (req): Promise<RotatedCredentials> => {
      const { cluster, clientSerial } = await clusters.rotateCredentials(accountOf(req), req.params.name);
      return {
        cluster: cluster.name,
        client_serial: clientSerial,
        message: `the previous client certificate of "${cluster.name}" is refused from now on: download the new credentials bundle`,
      };
    },
  });

  app.route<Named & { Querystring: AuditQuery }>({
    ...wireRoute('audit'),
    handler: async (req): Promise<AuditList> => {
      const { after, limit } = req.query;
      const entries = await clusters.audit(accountOf(req), req.params.name, {
        ...(after !== undefined && { afterId: Number(after) }),
        ...(limit !== undefined && { limit: Number(limit) }),
      });
      return { entries: entries.map(presentAuditEntry) };
    },
  });

  app.route<Named & { Querystring: EventsQuery }>({
    ...wireRoute('events'),
    handler: async (req): Promise<EventList> => {
      const after = req.query.after === undefined ? undefined : Number(req.query.after);
      const events = await clusters.events(accountOf(req), req.params.name, after);
      return { events: events.map(presentEvent) };
    },
  });

  app.route<Named>({
    ...wireRoute('usage'),
    handler: async (req): Promise<Usage> => {
      const { cluster, usage } = await clusters.usage(accountOf(req), req.params.name);
      return presentUsage(cluster, usage);
    },
  });

  app.route({
    ...wireRoute('quotas'),
    handler: async (req): Promise<Quotas> => {
      const account = accountOf(req);
      return { max_clusters: account.quotaClusters, max_nodes_per_cluster: account.quotaNodes, clusters: await store.clusters.countByAccount(account.id) };
    },
  });

  app.route({ ...wireRoute('flavors'), handler: (): FlavorList => ({ flavors: FLAVORS.map(presentFlavor) }) });
}
