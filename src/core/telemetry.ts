import type { Action } from './planner.js';
import { PolicyCode } from './policy-codes.js';
import type { Cluster, ClusterStatus } from './types.js';

/** The planned actions that are one call of the engine port (the others only write the store). */
export type EngineActionType = Exclude<Action['type'], 'markActive' | 'finalizeDelete'>;

/** What a cluster finished when it became active again, or was deleted. */
export type ClusterOperation = 'create' | 'grow' | 'shrink' | 'repair' | 'delete';

/** What the autoscaler made of one active autoscaled cluster on a pass (`cooldown`: not asked, too soon after a grow). */
export type AutoscaleOutcome = 'grow' | 'quota' | 'none' | 'cooldown';

/** How a request through a cluster's gateway ended. */
export type GatewayOutcome = 'forwarded' | 'denied' | 'engine_unreachable';

/**
 * The figures the reconciler, the autoscaler, the gateway, the API and the store report, for the
 * operator's metrics. Every method is called on a hot path or in the middle of IO: an implementation
 * only counts (no IO, never throws). The entry point wires the Prometheus one in (`server/metrics.ts`)
 * when metrics are served, `NO_TELEMETRY` otherwise.
 */
export interface Telemetry {
  /** The API answered a request: its method, route pattern (undefined when no route matched), status and time taken. */
  httpRequest(method: string, route: string | undefined, status: number, seconds: number): void;
  /** Starts timing the engine call of one planned action; call what it returns once the call settled. */
  engineCall(action: EngineActionType): (outcome: 'ok' | 'error') => void;
  /** A cluster finished `operation`, `seconds` after it began (see `finishedOperation`). */
  clusterOperation(operation: ClusterOperation, seconds: number): void;
  autoscaleDecision(outcome: AutoscaleOutcome): void;
  /** A request through a gateway ended: forwarded (whatever the engine answered), or refused with a CARINA-10xx code. */
  gatewayRequest(deniedCode: string | null): void;
  /** A client's connection to a gateway closed, after these many bytes in each direction (TLS included). */
  gatewayBytes(received: number, sent: number): void;
  /** A call of one of the store's repositories failed because the store was out (CARINA_ERR_STORE_UNAVAILABLE). */
  storeError(repository: string): void;
}

const ignore = (): void => undefined;

/** Telemetry that records nothing (metrics off, and tests). */
export const NO_TELEMETRY: Telemetry = Object.freeze({
  httpRequest: ignore,
  engineCall: () => ignore,
  clusterOperation: ignore,
  autoscaleDecision: ignore,
  gatewayRequest: ignore,
  gatewayBytes: ignore,
  storeError: ignore,
});

/** The operation a cluster leaving `status` for `active` (or deleted in it) has finished. */
const OPERATION_OF: Readonly<Partial<Record<ClusterStatus, ClusterOperation>>> = Object.freeze({
  building: 'create',
  growing: 'grow',
  shrinking: 'shrink',
  rebuilding: 'repair',
  deleting: 'delete',
});

/**
 * The operation a cluster finished at `now` and how long it took, from what the store holds: a
 * create from the cluster's record (`createdAt`, the API's insert) to active; the others from its
 * last change (`updatedAt`: the status change that began them, or a later write of the record —
 * a retried attempt, another grow while growing — which restarts the count). Undefined for a
 * cluster that was in no operation.
 */
export function finishedOperation(cluster: Pick<Cluster, 'createdAt' | 'updatedAt'>, from: ClusterStatus, now: Date): { operation: ClusterOperation; seconds: number } | undefined {
  const operation = OPERATION_OF[from];
  if (operation === undefined) return undefined;
  const since = operation === 'create' ? cluster.createdAt : cluster.updatedAt;
  return { operation, seconds: Math.max(0, now.getTime() - since.getTime()) / 1000 };
}

/** How a gateway request refused with `deniedCode` (null: forwarded) ended. */
export function gatewayOutcome(deniedCode: string | null): GatewayOutcome {
  if (deniedCode === null) return 'forwarded';
  return deniedCode === PolicyCode.ENGINE_UNREACHABLE ? 'engine_unreachable' : 'denied';
}

/** `2xx` for 204: the class of an HTTP status. */
export function statusClass(status: number): string {
  return `${Math.trunc(status / 100)}xx`;
}
