import { Type, type Static } from '@sinclair/typebox';

/** `GET /v1/quotas`: the account's quotas and usage. */
export const Quotas = Type.Object({ max_clusters: Type.Integer(), max_nodes_per_cluster: Type.Integer(), clusters: Type.Integer() });
/** The account's quotas and usage. */
export type Quotas = Static<typeof Quotas>;

/** A node size. */
export const Flavor = Type.Object({ name: Type.String(), memory_bytes: Type.Integer(), memory: Type.String(), vcpus: Type.Integer(), disk_gb: Type.Integer() });
/** A node size. */
export type Flavor = Static<typeof Flavor>;

/** `GET /v1/flavors`. */
export const FlavorList = Type.Object({ flavors: Type.Array(Flavor) });
/** The node flavors. */
export type FlavorList = Static<typeof FlavorList>;

/** `POST /v1/session`: the portal's sign-in with Carina's username and API key. */
export const SignIn = Type.Object(
  { username: Type.String({ minLength: 1, maxLength: 63 }), apikey: Type.String({ minLength: 1, maxLength: 256 }) },
  { additionalProperties: false },
);
/** A sign-in request. */
export type SignIn = Static<typeof SignIn>;

/** A portal sign-in (`POST /v1/session`, `GET /v1/session`). */
export const Session = Type.Object({
  username: Type.String(),
  csrf_token: Type.String({ description: 'Send as X-CSRF-Token on every cookie-authenticated write' }),
  expires_at: Type.String({ format: 'date-time' }),
});
/** A portal sign-in. */
export type Session = Static<typeof Session>;
