import type { FastifyInstance, FastifyRequest } from 'fastify';
import { FLAVORS } from '../core/flavors.js';
import type { Account } from '../core/types.js';
import type { ApiDeps } from './app.js';
import { presentAuditEntry, presentCluster, presentFlavor, presentNode, presentQuotas, presentUsage } from './presenters.js';
import { parsePageLimit } from '../core/validation.js';
import type { FlavorList, Quotas } from '../wire/account-schemas.js';
import type { AuditList, AuditQuery, RotatedCredentials, Usage } from '../wire/cluster-record-schemas.js';
import type { Cluster, ClusterList, ClusterNameParams, CreateCluster, GrowCluster, ListClustersQuery, ResizeCluster, SetAutoscale } from '../wire/cluster-schemas.js';
import { ListPageCache } from './list-page-cache.js';
import { wireRoute } from './wire-route.js';

type Named = { Params: ClusterNameParams };

const accountOf = (request: FastifyRequest): Account => {
  if (!request.account) throw new Error('route registered without authentication');
  return request.account;
};

/** The entity tags of an If-None-Match header (weak or strong alike), unquoted: the client serials of the bundles a client holds. */
const heldTags = (header: string | undefined): string[] =>
  (header ?? '')
    .split(',')
    .map((t) => t.trim().replace(/^W\//, ''))
    .filter((t) => t.length >= 2 && t.startsWith('"') && t.endsWith('"'))
    .map((t) => t.slice(1, -1));

/** `/v1/clusters…`, `/v1/quotas`, `/v1/flavors`: the contract's routes (src/wire/routes.ts) over the cluster service. */
export function registerClusterRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { clusters, advertiseAddress: host } = deps;

  app.route<{ Body: CreateCluster; Reply: Cluster }>({
    ...wireRoute('createCluster'),
    handler: async (req, reply) => {
      const cluster = await clusters.create(accountOf(req), req.body);
      return reply.status(202).send(presentCluster(cluster, 0, host));
    },
  });

  // The API's busiest answer: pages kept serialised while the store's list version stands (./list-page-cache.ts).
  const pages = new ListPageCache();
  app.route<{ Querystring: ListClustersQuery }>({
    ...wireRoute('listClusters'),
    handler: async (req, reply) => {
      const account = accountOf(req);
      const query = { after: req.query.after, limit: parsePageLimit(req.query.limit) };
      const body = await pages.get(account.id, query, () => clusters.listVersion(account), async () => {
        const page = await clusters.list(account, query);
        const list: ClusterList = { clusters: page.clusters.map(({ cluster, readyNodes }) => presentCluster(cluster, readyNodes, host)), next: page.next };
        return reply.serialize(list); // the route's compiled serializer (its response schema), as for any answer
      });
      return reply.type('application/json; charset=utf-8').send(body);
    },
  });

  app.route<Named>({
    ...wireRoute('getCluster'),
    handler: async (req): Promise<Cluster> => {
      const { cluster, readyNodes, nodes } = await clusters.detail(accountOf(req), req.params.name);
      return { ...presentCluster(cluster, readyNodes, host), node_details: nodes.map(presentNode) };
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
      const bundle = await clusters.credentialsBundle(accountOf(req), req.params.name, heldTags(req.headers['if-none-match']));
      const etag = `"${bundle.clientSerial}"`;
      if (bundle.kind === 'unchanged') return reply.status(304).header('etag', etag).header('cache-control', 'no-store').send();
      return reply
        .header('content-type', 'application/zip')
        .header('content-disposition', `attachment; filename="${bundle.cluster.name}.zip"`)
        .header('etag', etag)
        .header('cache-control', 'no-store')
        .send(bundle.archive);
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

  // The event log (JSON or a live stream): ./event-routes.ts.

  app.route<Named>({
    ...wireRoute('usage'),
    handler: async (req): Promise<Usage> => {
      const { cluster, usage } = await clusters.usage(accountOf(req), req.params.name);
      return presentUsage(cluster, usage);
    },
  });

  app.route({
    ...wireRoute('quotas'),
    handler: async (req): Promise<Quotas> => presentQuotas(await clusters.quotas(accountOf(req))),
  });

  app.route({ ...wireRoute('flavors'), handler: (): FlavorList => ({ flavors: FLAVORS.map(presentFlavor) }) });
}
