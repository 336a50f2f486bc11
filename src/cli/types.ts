/** Shapes of the public HTTP API as the CLI reads them: the shared wire types, plus what only the CLI has. */
export type { Cluster, ClusterEvent, ClusterList, ClusterNode, ClusterStatus, Flavor, Quotas, Usage, UsageFigures } from '../wire/api-types.js';

import type { Cluster, ClusterStatus } from '../wire/api-types.js';

/** A cluster as the CLI shows it: after `rm --wait` its status reads "deleted", which the API never says. */
export type ShownCluster = Omit<Cluster, 'status'> & { readonly status: ClusterStatus | 'deleted' };

/** A downloaded credentials bundle: the zip and the serial of its client certificate (the ETag). */
export interface Bundle {
  readonly zip: Buffer;
  readonly serial: string | undefined;
}
