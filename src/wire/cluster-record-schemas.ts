import { Type, type Static } from '@sinclair/typebox';
import { Nullable } from './schema-kit.js';

// Query strings are text (body coercion is off), so numbers are matched by pattern.
const ID = Type.String({ pattern: '^[0-9]{1,15}$' });

/** An entry of a cluster's event log. */
export const ClusterEvent = Type.Object({ id: Type.Integer(), time: Type.String(), type: Type.String(), message: Type.String() });
/** An entry of a cluster's event log. */
export type ClusterEvent = Static<typeof ClusterEvent>;

/** `GET /v1/clusters/{name}/events?after=ID`. */
export const EventsQuery = Type.Object({ after: Type.Optional(ID) }, { additionalProperties: false });
/** The query of the event log. */
export type EventsQuery = Static<typeof EventsQuery>;

/** `GET /v1/clusters/{name}/events`. */
export const EventList = Type.Object({ events: Type.Array(ClusterEvent) });
/** A cluster's event log. */
export type EventList = Static<typeof EventList>;

/** An entry of the event log of all of an account's clusters (`GET /v1/events`): which cluster it is of. */
export const AccountEvent = Type.Object({ id: Type.Integer(), cluster: Type.String(), time: Type.String(), type: Type.String(), message: Type.String() });
/** An entry of an account's event log. */
export type AccountEvent = Static<typeof AccountEvent>;

/** `GET /v1/events`: the events of all of the account's clusters after an id, at most 1000. */
export const AccountEventList = Type.Object({ events: Type.Array(AccountEvent) });
/** A page of an account's event log. */
export type AccountEventList = Static<typeof AccountEventList>;

/** What a stream reconnecting sends: the id of the last event it got (EventSource sends it by itself). */
export const EventStreamHeaders = Type.Object({ 'last-event-id': Type.Optional(Type.String({ description: 'with Accept: text/event-stream: resume after this event id' })) });
/** The headers the event routes read. */
export type EventStreamHeaders = Static<typeof EventStreamHeaders>;

/** An entry of the gateway's audit log of a cluster's Docker API requests. */
export const AuditEntry = Type.Object({
  id: Type.Integer(),
  time: Type.String(),
  account: Type.String(),
  method: Type.String(),
  path: Type.String(),
  status: Type.Integer(),
  cert_serial: Type.String(),
  denied_code: Nullable(Type.String({ description: 'CARINA-10xx when the gateway refused the request (docs/policy.md)' })),
});
/** An entry of the audit log. */
export type AuditEntry = Static<typeof AuditEntry>;

/** `GET /v1/clusters/{name}/audit?after=ID&limit=N`. */
export const AuditQuery = Type.Object({ after: Type.Optional(ID), limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,4}$' })) }, { additionalProperties: false });
/** The query of the audit log. */
export type AuditQuery = Static<typeof AuditQuery>;

/** `GET /v1/clusters/{name}/audit`. */
export const AuditList = Type.Object({ entries: Type.Array(AuditEntry) });
/** A page of the audit log. */
export type AuditList = Static<typeof AuditList>;

/** `POST /v1/clusters/{name}/credentials/rotate`. */
export const RotatedCredentials = Type.Object({ cluster: Type.String(), client_serial: Type.String(), message: Type.String() });
/** The answer to a rotation. */
export type RotatedCredentials = Static<typeof RotatedCredentials>;

const usageFigures = {
  capacity_cpus: Nullable(Type.Number()),
  capacity_memory_bytes: Nullable(Type.Integer()),
  reserved_cpus: Type.Number(),
  reserved_memory_bytes: Nullable(Type.Integer()),
  used_cpus: Nullable(Type.Number({ description: 'vCPUs in use (sampled over about a second); null if not measured' })),
  used_memory_bytes: Nullable(Type.Integer()),
  containers: Nullable(Type.Integer()),
  tasks: Nullable(Type.Integer()),
};

/** Figures of one node (or the total) in `GET /v1/clusters/{name}/usage`; CPU in vCPUs. */
export const UsageFigures = Type.Object(usageFigures);
/** Figures of one node or the total. */
export type UsageFigures = Static<typeof UsageFigures>;

/** `GET /v1/clusters/{name}/usage`: reserved and used CPU and memory per node and in total. */
export const Usage = Type.Object({
  cluster: Type.String(),
  nodes: Type.Array(Type.Object({ index: Type.Integer(), ...usageFigures })),
  total: UsageFigures,
});
/** A cluster's usage. */
export type Usage = Static<typeof Usage>;
