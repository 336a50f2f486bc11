import { canonicalPath } from '../core/policy.js';
import { connectionNames, HOP_BY_HOP } from '../net/hop-by-hop.js';

/** A request target as the gateway forwards it and as the policy sees it. */
export interface RequestTarget {
  /** Forwarded upstream unchanged (origin form: path and query). */
  readonly forward: string;
  /** The raw path (no query). */
  readonly rawPath: string;
  /** The raw query string, without `?` ('' when none). */
  readonly rawQuery: string;
  /** Decoded query parameters, in order. */
  readonly query: ReadonlyArray<readonly [string, string]>;
  /** The path the engine routes on (see `canonicalPath`); undefined when it cannot be decoded. */
  readonly policyPath: string | undefined;
}

/** Splits a request target (origin or absolute form) into what is forwarded and what the policy reads. */
export function parseTarget(url: string): RequestTarget {
  let forward = url;
  if (!url.startsWith('/')) {
    // Absolute form (`POST http://host/containers/create`): the engine routes on its path, so forward only that.
    try {
      const u = new URL(url);
      forward = `${u.pathname}${u.search}`;
    } catch {
      forward = `/${url}`;
    }
  }
  const q = forward.indexOf('?');
  const rawPath = q < 0 ? forward : forward.slice(0, q);
  const rawQuery = q < 0 ? '' : forward.slice(q + 1);
  return { forward, rawPath, rawQuery, query: [...new URLSearchParams(rawQuery)], policyPath: canonicalPath(rawPath) };
}

const SECRET_KEY = /auth|token|secret|passw|credential|key|buildargs|cred/i;

/** The target as the audit log keeps it: secrets in query values (and user:password@ in URLs) replaced by `***`. */
export function redactTarget(target: RequestTarget): string {
  if (target.rawQuery === '') return target.rawPath;
  const parts = target.rawQuery.split('&').map((pair) => {
    const eq = pair.indexOf('=');
    if (eq < 0) return pair;
    const key = pair.slice(0, eq);
    let name = key;
    try {
      name = decodeURIComponent(key.replace(/\+/g, ' '));
    } catch {
      /* keep the raw key */
    }
    if (SECRET_KEY.test(name)) return `${key}=***`;
    const value = pair.slice(eq + 1);
    let decoded = value;
    try {
      decoded = decodeURIComponent(value.replace(/\+/g, ' '));
    } catch {
      /* keep the raw value */
    }
    return /\/\/[^/@]*@/.test(decoded) ? `${key}=${encodeURIComponent(decoded.replace(/\/\/[^/@]*@/g, '//***@'))}` : pair;
  });
  return `${target.rawPath}?${parts.join('&')}`;
}

/**
 * Raw headers (`[name, value, …]`) without hop-by-hop ones (and those the Connection header names),
 * without `drop`, plus `add`. A Host header is always present (the engine requires one).
 */
export function filterHeaders(raw: readonly string[], drop: readonly string[] = [], add: readonly string[] = []): string[] {
  const named = new Set([...HOP_BY_HOP, ...drop]);
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]?.toLowerCase() === 'connection') for (const t of connectionNames(raw[i + 1])) named.add(t);
  }
  const out: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] ?? '';
    if (!named.has(name.toLowerCase())) out.push(name, raw[i + 1] ?? '');
  }
  return [...out, ...add];
}

/** `filterHeaders` for a request: also guarantees a Host header. */
export function requestHeaders(raw: readonly string[], drop: readonly string[] = [], add: readonly string[] = []): string[] {
  const out = filterHeaders(raw, drop, add);
  for (let i = 0; i < out.length; i += 2) if (out[i]?.toLowerCase() === 'host') return out;
  return ['Host', 'docker', ...out];
}

/** The value of header `name` in raw headers, if any. */
export function headerValue(raw: readonly string[], name: string): string | undefined {
  for (let i = 0; i + 1 < raw.length; i += 2) if (raw[i]?.toLowerCase() === name) return raw[i + 1];
  return undefined;
}

/** Normalised certificate serial (lower-case hex, no leading zeros) for comparisons. */
export function normaliseSerial(serial: string): string {
  return serial.replace(/:/g, '').toLowerCase().replace(/^0+(?=.)/, '');
}
