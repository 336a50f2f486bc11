import type { ClusterStatus, NodeRole } from '../wire/cluster-status.js';

// Statuses and roles are facts a client knows too: they live in the contract.
export { CLUSTER_STATUSES, type ClusterStatus, type NodeRole } from '../wire/cluster-status.js';

/** An account (tenant). The API key itself is never stored, only its scrypt hash. */
export interface Account {
  readonly id: string;
  readonly name: string;
  readonly keyHash: string;
  readonly quotaClusters: number;
  readonly quotaNodes: number;
  /** Registry storage the account may use; null: the server's default. */
  readonly registryQuotaBytes: number | null;
  readonly createdAt: Date;
}

/** A cluster as stored: the user's desired state plus the status the reconciler reports. */
export interface Cluster {
  readonly id: string;
  readonly accountId: string;
  readonly accountName: string;
  readonly name: string;
  readonly flavor: string;
  /** Desired number of nodes. */
  readonly nodeCount: number;
  readonly autoscale: boolean;
  readonly status: ClusterStatus;
  readonly statusReason: string | null;
  /** Host port where the manager's TLS endpoint is published. */
  readonly port: number;
  /** Consecutive failed reconcile attempts of the current operation. */
  readonly failures: number;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** A node as last observed by the reconciler. */
export interface ClusterNode {
  readonly clusterId: string;
  readonly index: number;
  readonly role: NodeRole;
  readonly containerId: string | null;
  readonly address: string | null;
  /** Swarm status as the manager reports it: ready | down | unknown | starting. */
  readonly status: string;
}

/** An entry of a cluster's event log. */
export interface ClusterEvent {
  readonly id: number;
  readonly clusterId: string;
  readonly at: Date;
  readonly type: string;
  readonly message: string;
}

/** Key material of one cluster (PEM). Private keys never leave the store except into the bundle and the manager. */
export interface ClusterPki {
  readonly caCert: string;
  readonly caKey: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
  readonly clientSerial: string;
}

/** The role of node `index` in a cluster of `managers` swarm managers: the first nodes manage the swarm. */
export function roleOf(index: number, managers = 1): NodeRole {
  return index < managers ? 'manager' : 'worker';
}
