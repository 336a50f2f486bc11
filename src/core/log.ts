import type { Cluster } from './types.js';

/**
 * What a log line is about, as fields a machine can filter on (`clusterId`, `account`, `reqId`…).
 * `level` is not a field: it says how the line is logged (`debug`, `info` by default, `warn`, `error`).
 */
export type LogFields = Readonly<Record<string, unknown>> & { readonly level?: LogLevel };

/** The levels a line can be logged at. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/**
 * Where a layer's log lines go. Most call sites have only a line; those that know what it is about
 * add fields. A `(line: string) => void` is one too (it ignores the fields), so tests keep their fakes.
 */
export type Log = (line: string, fields?: LogFields) => void;

/** The fields of a line about one cluster: which one and whose, for an operator to filter on. */
export function about(cluster: Pick<Cluster, 'id' | 'accountName'>): { readonly clusterId: string; readonly account: string } {
  return { clusterId: cluster.id, account: cluster.accountName };
}
