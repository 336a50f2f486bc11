/** Shapes of the public HTTP API as the portal reads them: the contract's types (src/wire/), which the server's routes are built from. */
export type * from '../../src/wire/account-schemas';
export type * from '../../src/wire/cluster-record-schemas';
export type * from '../../src/wire/cluster-schemas';
export type * from '../../src/wire/registry-schemas';
export type { ClusterStatus } from '../../src/wire/cluster-status';
