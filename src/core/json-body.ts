import { isSafeNumber, LosslessNumber, parse, stringify } from 'lossless-json';
import { foldKey, isObject } from './json-fields.js';
import { PolicyCode, violation, type Violation } from './policy-codes.js';

/**
 * Decoding a body the policy must read, so that the policy and the engine see the same object.
 *
 * `JSON.parse` keeps the last of a repeated key, while Go's decoder decodes every copy into the same
 * field — merging a repeated object into the first — and matches field names case-insensitively.
 * So a body with `"HostConfig"` twice, or `"HostConfig"` and `"hostconfig"`, means something else to
 * each side. Such bodies are refused, and what is forwarded is the re-serialisation of the checked
 * value (`encodeJsonBody`), never the client's bytes: a difference between this parser and Go's
 * that nobody has thought of yet then cannot reach the engine either.
 */
export type DecodedBody =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly violation: Violation };

/** Numbers beyond 2^53 keep their digits (re-sent as written); others become plain numbers. */
const parseNumber = (text: string): number | LosslessNumber => (isSafeNumber(text) ? Number(text) : new LosslessNumber(text));

/** Parses one JSON object or array (an empty body or `null` is `undefined`); refuses repeated fields at any depth. */
export function decodeJsonBody(text: string): DecodedBody {
  if (text.trim() === '') return { ok: true, value: undefined };
  let value: unknown;
  try {
    value = parse(text, null, parseNumber);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    if (/^Duplicate key/.test(message)) return refuseDuplicate(message.replace(/^Duplicate key '(.*)' encountered.*$/s, '$1'));
    return { ok: false, violation: violation(PolicyCode.UNREADABLE_REQUEST, 'the request body must be one JSON object') };
  }
  if (value === null) return { ok: true, value: undefined };
  if (!isObject(value) && !Array.isArray(value)) {
    return { ok: false, violation: violation(PolicyCode.UNREADABLE_REQUEST, 'the request body must be one JSON object') };
  }
  const repeated = repeatedField(value);
  return repeated === undefined ? { ok: true, value } : refuseDuplicate(repeated);
}

/** The JSON the gateway forwards for a decoded body: exactly the value the policy read. */
export function encodeJsonBody(value: unknown): string {
  return value === undefined ? '' : (stringify(value) ?? '');
}

function refuseDuplicate(field: string): DecodedBody {
  return {
    ok: false,
    violation: violation(PolicyCode.DUPLICATE_FIELD, `the request body names the field ${JSON.stringify(field)} more than once (field names are case-insensitive): send each field once`),
  };
}

/**
 * The first key, at any depth, that folds (as Go matches field names) to the same name as another
 * key of its object. Also in maps such as `Labels`, whose keys Go does not fold: two labels that
 * differ only in case are refused too, a price paid for not having to know which objects are maps.
 */
function repeatedField(root: unknown): string | undefined {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const value = stack.pop();
    if (Array.isArray(value)) {
      stack.push(...(value as unknown[]));
    } else if (isObject(value) && !(value instanceof LosslessNumber)) {
      const seen = new Set<string>();
      for (const [key, child] of Object.entries(value)) {
        const folded = foldKey(key);
        if (seen.has(folded)) return key;
        seen.add(folded);
        stack.push(child);
      }
    }
  }
  return undefined;
}
