/** Shapes of the public HTTP API as the CLI reads them: the contract's types, plus what only the CLI has. */
export type { Flavor, Quotas } from '../wire/account-schemas.js';
export type { ClusterEvent, Usage, UsageFigures } from '../wire/cluster-record-schemas.js';
export type { Cluster, ClusterList, ClusterNode, CreateCluster } from '../wire/cluster-schemas.js';
export type { ClusterStatus } from '../wire/cluster-status.js';
export type { RegistryInfo, RegistryTag, Repository, RepositoryList } from '../wire/registry-schemas.js';

import type { Cluster } from '../wire/cluster-schemas.js';
import type { ClusterStatus } from '../wire/cluster-status.js';

/** A cluster as the CLI shows it: after `rm --wait` its status reads "deleted", which the API never says. */
export type ShownCluster = Omit<Cluster, 'status'> & { readonly status: ClusterStatus | 'deleted' };

/** A downloaded credentials bundle: the zip and the serial of its client certificate (the ETag). */
export interface Bundle {
  readonly zip: Buffer;
  readonly serial: string | undefined;
}
