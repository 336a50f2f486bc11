import type { Kysely, Selectable } from 'kysely';
import { CarinaError, ErrorCode } from '../core/errors.js';
import type { ClusterPatch } from '../core/ports.js';
import {
  CLUSTER_STATUSES,
  type Account,
  type Cluster,
  type ClusterEvent,
  type ClusterNode,
  type ClusterPki,
  type ClusterStatus,
  type NodeRole,
} from '../core/types.js';
import type { AccountsTable, ClusterPkiTable, ClustersTable, Database, EventsTable, NodesTable } from './database.js';
import type { KeySealer } from './key-sealer.js';

/** A cluster row joined with its account's name. */
export type ClusterRow = Selectable<ClustersTable> & { account_name: string };

/** Clusters joined with their account, as every cluster read needs. */
export function selectClusters(db: Kysely<Database>) {
  return db
    .selectFrom('clusters')
    .innerJoin('accounts', 'accounts.id', 'clusters.account_id')
    .selectAll('clusters')
    .select('accounts.name as account_name');
}

function corrupt(what: string, value: unknown): CarinaError {
  return new CarinaError(ErrorCode.INTERNAL, `stored ${what} is invalid: ${JSON.stringify(value)}`);
}

/** The cluster status stored as `value`; throws INTERNAL on anything unknown. */
export function toStatus(value: string): ClusterStatus {
  const status = CLUSTER_STATUSES.find((s) => s === value);
  if (status === undefined) throw corrupt('cluster status', value);
  return status;
}

function toRole(value: string): NodeRole {
  if (value === 'manager' || value === 'worker') return value;
  throw corrupt('node role', value);
}

/** Domain account of an `accounts` row. */
export function toAccount(row: Omit<Selectable<AccountsTable>, 'list_version'>): Account {
  return {
    id: row.id,
    name: row.name,
    keyHash: row.key_hash,
    quotaClusters: Number(row.quota_clusters),
    quotaNodes: Number(row.quota_nodes),
    registryQuotaBytes: row.registry_quota_bytes === null ? null : Number(row.registry_quota_bytes),
    createdAt: new Date(row.created_at),
  };
}

/** Domain cluster of a joined cluster row. */
export function toCluster(row: ClusterRow): Cluster {
  return {
    id: row.id,
    accountId: row.account_id,
    accountName: row.account_name,
    name: row.name,
    flavor: row.flavor,
    nodeCount: Number(row.node_count),
    autoscale: Number(row.autoscale) !== 0,
    status: toStatus(row.status),
    statusReason: row.status_reason,
    port: Number(row.port),
    failures: Number(row.failures),
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

/** Column values of a cluster patch; fields the patch leaves out are left out. */
export function patchColumns(patch: ClusterPatch): Partial<Selectable<ClustersTable>> {
  const columns: Partial<Selectable<ClustersTable>> = {};
  if (patch.nodeCount !== undefined) columns.node_count = patch.nodeCount;
  if (patch.autoscale !== undefined) columns.autoscale = patch.autoscale ? 1 : 0;
  if (patch.statusReason !== undefined) columns.status_reason = patch.statusReason;
  if (patch.failures !== undefined) columns.failures = patch.failures;
  return columns;
}

/** Domain node of a `nodes` row. */
export function toNode(row: Selectable<NodesTable>): ClusterNode {
  return {
    clusterId: row.cluster_id,
    index: Number(row.idx),
    role: toRole(row.role),
    containerId: row.container_id,
    address: row.address,
    status: row.status,
  };
}

/** `nodes` row of a domain node. */
export function nodeRow(clusterId: string, node: ClusterNode): Selectable<NodesTable> {
  return {
    cluster_id: clusterId,
    idx: node.index,
    role: node.role,
    container_id: node.containerId,
    address: node.address,
    status: node.status,
  };
}

/** Domain event of an `events` row. */
export function toEvent(row: Selectable<EventsTable>): ClusterEvent {
  return { id: Number(row.id), clusterId: row.cluster_id, at: new Date(row.at), type: row.type, message: row.message };
}

/** Domain key material of a `cluster_pki` row, its private keys unsealed. */
export function toPki(row: Selectable<ClusterPkiTable>, sealer: KeySealer): ClusterPki {
  const open = (value: string, which: string) => sealer.open(value, `the ${which} key of cluster ${row.cluster_id}`);
  return {
    caCert: row.ca_cert,
    caKey: open(row.ca_key, 'CA'),
    serverCert: row.server_cert,
    serverKey: open(row.server_key, 'server'),
    clientCert: row.client_cert,
    clientKey: open(row.client_key, 'client'),
    clientSerial: row.client_serial,
  };
}

/** `cluster_pki` columns (all but the key) of domain key material, its private keys sealed. */
export function pkiColumns(pki: ClusterPki, sealer: KeySealer): Omit<Selectable<ClusterPkiTable>, 'cluster_id' | 'version'> {
  return {
    ca_cert: pki.caCert,
    ca_key: sealer.seal(pki.caKey),
    server_cert: pki.serverCert,
    server_key: sealer.seal(pki.serverKey),
    client_cert: pki.clientCert,
    client_key: sealer.seal(pki.clientKey),
    client_serial: pki.clientSerial,
  };
}
