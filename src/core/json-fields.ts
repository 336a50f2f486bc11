/**
 * Reading Docker API bodies the way the engine's Go JSON decoder does: object keys match struct
 * fields case-insensitively, with the two Unicode folds Go applies (ſ → s, K (Kelvin) → k).
 * Every reader returns *all* matching values (duplicate keys, different spellings), so a policy that
 * refuses when any of them is dangerous cannot be fooled by which one the engine would keep.
 */

/** `key` folded as Go's encoding/json compares field names: ſ→s, K→k, ASCII lower-case. */
export function foldKey(key: string): string {
  return key.replace(/\u017f/g, 's').replace(/\u212a/g, 'k').replace(/[A-Z]/g, (c) => c.toLowerCase());
}

/** True for a JSON object (not an array, not null). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Every value of `obj` under a key that folds to `name` (given lower-case); none when `obj` is not an object. */
export function fieldValues(obj: unknown, name: string): unknown[] {
  if (!isObject(obj)) return [];
  const out: unknown[] = [];
  for (const [key, value] of Object.entries(obj)) if (foldKey(key) === name) out.push(value);
  return out;
}

/** Every value reached by following `names` from `obj` (each step may fan out over duplicate keys). */
export function pathValues(obj: unknown, ...names: string[]): unknown[] {
  let current: unknown[] = [obj];
  for (const name of names) current = current.flatMap((o) => fieldValues(o, name));
  return current;
}

/** The elements of every array among `values` (non-arrays other than null are kept as single items). */
export function elements(values: readonly unknown[]): unknown[] {
  return values.flatMap((v) => (Array.isArray(v) ? (v as unknown[]) : v === null || v === undefined ? [] : [v]));
}

/** True when a value is "set" the way Go would see it: not absent, null, false, 0, "" or an empty array/object. */
export function isSet(value: unknown): boolean {
  if (value === undefined || value === null || value === false || value === 0 || value === '') return false;
  if (Array.isArray(value)) return value.length > 0;
  if (isObject(value)) return Object.keys(value).length > 0;
  return true;
}

/** A string value trimmed and lower-cased, or undefined for anything else. */
export function lowerString(value: unknown): string | undefined {
  return typeof value === 'string' ? value.trim().toLowerCase() : undefined;
}
