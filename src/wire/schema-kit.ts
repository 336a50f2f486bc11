import { Type, type Static, type TInteger, type TNumber, type TString, type TUnsafe } from '@sinclair/typebox';

/**
 * `schema` or null, written as JSON Schema's `type: [T, "null"]`: Fastify serialises it directly and
 * the OpenAPI document shows it as `nullable: true` (a TypeBox union would become an `anyOf`).
 */
export function Nullable<T extends TString | TInteger | TNumber>(schema: T): TUnsafe<Static<T> | null> {
  return Type.Unsafe<Static<T> | null>({ ...schema, type: [schema.type, 'null'] });
}

/** A string that is one of `values`, as a JSON Schema `enum` (what Fastify and OpenAPI read best). */
export function StringEnum<const V extends readonly string[]>(values: V, options: { description?: string } = {}): TUnsafe<V[number]> {
  return Type.Unsafe<V[number]>({ type: 'string', enum: [...values], ...options });
}

/** The body of every failure: a stable code (`ErrorCode`) and a message a user can act on. */
export const ErrorBody = Type.Object({
  error: Type.Object({ code: Type.String({ description: 'a stable CARINA_ERR_… code' }), message: Type.String() }),
});
/** The body of every failure. */
export type ErrorBody = Static<typeof ErrorBody>;
