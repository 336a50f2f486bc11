import type { FastifyInstance, FastifyRequest } from 'fastify';
import { FLAVORS } from '../core/flavors.js';
import type { Account } from '../core/types.js';
import { buildBundle } from '../pki/bundle.js';
import type { ApiDeps } from './app.js';
import { presentAuditEntry, presentCluster, presentEvent, presentFlavor, presentNode, presentUsage } from './presenters.js';
import * as s from './schemas.js';
import { parsePageLimit } from '../core/validation.js';
import type { ClusterList, Quotas } from '../wire/api-types.js';

type Named = { Params: { name: string } };

const accountOf = (request: FastifyRequest): Account => {
  if (!request.account) throw new Error('route registered without authentication');
  return request.account;
};

/** `/v1/clusters…`, `/v1/quotas`, `/v1/flavors`. */
export function registerClusterRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { clusters, store, advertiseAddress: host } = deps;

  app.post<{ Body: { name: string; nodes?: number; autoscale?: boolean; flavor?: string } }>(
    '/clusters',
    { schema: s.createClusterSchema },
    async (req, reply) => {
      const cluster = await clusters.create(accountOf(req), req.body);
      return reply.status(202).send(presentCluster(cluster, 0, host));
    },
  );

  app.get<{ Querystring: { after?: string; limit?: string } }>('/clusters', { schema: s.listClustersSchema }, async (req): Promise<ClusterList> => {
    const page = await clusters.list(accountOf(req), { after: req.query.after, limit: parsePageLimit(req.query.limit) });
    const ready = await store.clusters.countReadyNodes(page.clusters.map((c) => c.id));
    return { clusters: page.clusters.map((c) => presentCluster(c, ready.get(c.id) ?? 0, host)), next: page.next };
  });

  app.get<Named>('/clusters/:name', { schema: s.getClusterSchema }, async (req) => {
    const cluster = await clusters.get(accountOf(req), req.params.name);
    const nodes = await store.clusters.listNodes(cluster.id);
    const ready = nodes.filter((n) => n.status === 'ready').length;
    return { ...presentCluster(cluster, ready, host), node_details: nodes.map(presentNode) };
  });

  app.post<Named & { Body: { by: number } }>('/clusters/:name/grow', { schema: s.growSchema }, async (req, reply) => {
    const cluster = await clusters.grow(accountOf(req), req.params.name, req.body.by);
    return reply.status(202).send(presentCluster(cluster, null, host));
  });

  app.put<Named & { Body: { count: number } }>('/clusters/:name/nodes', { schema: s.resizeSchema }, async (req, reply) => {
    const cluster = await clusters.resize(accountOf(req), req.params.name, req.body.count);
    return reply.status(202).send(presentCluster(cluster, null, host));
  });

  app.post<Named>('/clusters/:name/rebuild', { schema: s.rebuildSchema }, async (req, reply) => {
    const cluster = await clusters.rebuild(accountOf(req), req.params.name);
    return reply.status(202).send(presentCluster(cluster, null, host));
  });

  app.put<Named & { Body: { enabled: boolean } }>('/clusters/:name/autoscale', { schema: s.autoscaleSchema }, async (req) => {
    const cluster = await clusters.setAutoscale(accountOf(req), req.params.name, req.body.enabled);
    return presentCluster(cluster, null, host);
  });

  app.delete<Named>('/clusters/:name', { schema: s.deleteSchema }, async (req, reply) => {
    const cluster = await clusters.delete(accountOf(req), req.params.name);
    return reply.status(202).send(presentCluster(cluster, null, host));
  });

  app.get<Named>('/clusters/:name/credentials', { schema: s.credentialsSchema }, async (req, reply) => {
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
  });

  app.post<Named>('/clusters/:name/credentials/rotate', { schema: s.rotateCredentialsSchema }, async (req) => {
    const { cluster, clientSerial } = await clusters.rotateCredentials(accountOf(req), req.params.name);
    return {
      cluster: cluster.name,
      client_serial: clientSerial,
      message: `the previous client certificate of "${cluster.name}" is refused from now on: download the new credentials bundle`,
    };
  });

  app.get<Named & { Querystring: { after?: string; limit?: string } }>('/clusters/:name/audit', { schema: s.auditSchema }, async (req) => {
    const { after, limit } = req.query;
    const entries = await clusters.audit(accountOf(req), req.params.name, {
      ...(after !== undefined && { afterId: Number(after) }),
      ...(limit !== undefined && { limit: Number(limit) }),
    });
    return { entries: entries.map(presentAuditEntry) };
  });

  app.get<Named & { Querystring: { after?: string } }>('/clusters/:name/events', { schema: s.eventsSchema }, async (req) => {
    const after = req.query.after === undefined ? undefined : Number(req.query.after);
    const events = await clusters.events(accountOf(req), req.params.name, after);
    return { events: events.map(presentEvent) };
  });

  app.get<Named>('/clusters/:name/usage', { schema: s.usageSchema }, async (req) => {
    const { cluster, usage } = await clusters.usage(accountOf(req), req.params.name);
    return presentUsage(cluster, usage);
  });

  app.get('/quotas', { schema: s.quotasSchema }, async (req): Promise<Quotas> => {
    const account = accountOf(req);
    return {
      max_clusters: account.quotaClusters,
      max_nodes_per_cluster: account.quotaNodes,
      clusters: await store.clusters.countByAccount(account.id),
    };
  });

  app.get('/flavors', { schema: s.flavorsSchema }, () => ({ flavors: FLAVORS.map(presentFlavor) }));
}
