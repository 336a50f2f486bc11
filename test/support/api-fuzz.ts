import { gzipSync } from 'node:zlib';
import fc from 'fast-check';

/**
 * Generated HTTP requests for the API fuzz campaign (issue 15), from the OpenAPI document the server
 * serves: every route with its own method and with methods it does not have; bodies valid by the
 * schema and mutated (wrong types, fields missing or extra, keys repeated in the raw JSON, huge
 * strings and numbers, deep nesting, not JSON at all); content types and encodings; path and query
 * parameters oversize, percent-encoded oddly, with `..`, NUL or unicode; bad Authorization schemes,
 * huge and repeated headers. Each is written out by hand as bytes, so nothing normalises it first.
 */

type Json = Record<string, unknown>;

/** An operation of the OpenAPI document. */
export interface Operation {
  readonly method: string;
  /** OpenAPI's spelling (`/v1/clusters/{name}`). */
  readonly path: string;
  readonly params: readonly string[];
  readonly query: ReadonlyArray<{ readonly name: string; readonly schema: Json }>;
  readonly body: Json | undefined;
  readonly statuses: readonly number[];
  /** Whether it needs credentials (the portal's session routes do not). */
  readonly secured: boolean;
}

/** The operations of an OpenAPI 3 document. */
export function operationsOf(doc: { paths: Record<string, Record<string, Json>> }): Operation[] {
  return Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => {
      const parameters = (op.parameters ?? []) as Array<{ in: string; name: string; schema: Json }>;
      const body = (op.requestBody as { content?: Record<string, { schema: Json }> } | undefined)?.content?.['application/json']?.schema;
      return {
        method: method.toUpperCase(),
        path,
        params: parameters.filter((p) => p.in === 'path').map((p) => p.name),
        query: parameters.filter((p) => p.in === 'query').map(({ name, schema }) => ({ name, schema })),
        body,
        statuses: Object.keys(op.responses as Json).map(Number),
        secured: !(Array.isArray(op.security) && op.security.length === 0),
      };
    }),
  );
}

/** One request of the campaign: what was meant (for the oracle) and the bytes that say it. */
export interface ApiFuzzRequest {
  /** The path template the path was generated from (undefined: no route's). */
  readonly template: string | undefined;
  /** Whether the path is one of the portal's pages (the app's index.html may answer a GET). */
  readonly portalPage: boolean;
  readonly method: string;
  readonly target: string;
  readonly wire: Buffer;
  /** Sent with this campaign's own valid key. */
  readonly authenticated: boolean;
}

const OTHER_METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'PROPFIND', 'TRACE'];
/** The portal's pages, and a file of its build: the app answers these. */
const PORTAL_PATHS = ['/', '/new', '/registry', '/clusters/fz', '/clusters/%E2%9C%93', '/index.html'];
const UNKNOWN_PATHS = ['/v1', '/v1/', '/v2/clusters', '/V1/clusters', '//v1/clusters', '/v1%2fclusters', '/v1/clusters//x', '/nope', '/assets/x.js', '/v1/../index.html', '/v1/%2e%2e/index.html', '/healthz/x', '/v1/openapi.json/x', '*'];

// fc.stringMatching costs ~0.2 ms a draw; these cost next to nothing.
const LOWER = [...'abcdefghijklmnopqrstuvwxyz'];
/** A valid-looking name: a letter, then letters, digits and dashes. */
const plainName = (maxLength: number) => fc.tuple(fc.constantFrom(...LOWER), fc.string({ unit: fc.constantFrom(...LOWER, ...'0123456789-'), maxLength })).map(([a, b]) => a + b);
/** A string matching `^[0-9]{1,N}$` (the query patterns of the contract), else a plain name. */
const byPattern = (pattern: unknown) => {
  const digits = typeof pattern === 'string' ? /^\^\[0-9\]\{1,(\d+)\}\$$/.exec(pattern)?.[1] : undefined;
  return digits === undefined ? plainName(7) : fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 1, maxLength: Number(digits) });
};

/** Text that is hard on a parser: control characters, NUL, unicode in every plane, lone surrogates. */
const nasty = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ unit: fc.constantFrom('\u0000', '\u001f', '\u007f', '\ud800', '\udfff', '\u202e', '\ufeff', '\u{1f600}', '"', '\\', '/', '%', '.', '?', '#', ' ', '\n'), maxLength: 30 }),
);

/** A path parameter: a name that exists, valid ones, oversize, odd encodings, `..`, NUL, unicode. */
const pathParam = (existing: string): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 4, arbitrary: fc.constant(existing) },
    { weight: 2, arbitrary: plainName(20) },
    { weight: 1, arbitrary: fc.constantFrom('', '..', '.', '%2e%2e', '..%2f..%2fetc%2fpasswd', '%00', 'a%00b', '%', '%zz', '%E0%A4%A', '%C0%AF', '%FF', '%2F', 'alice%2Fapp', '%20', '+', '~', '%25', ';x', 'a;b=c') },
    { weight: 1, arbitrary: fc.integer({ min: 60, max: 6000 }).map((n) => 'a'.repeat(n)) },
    { weight: 1, arbitrary: fc.constantFrom(99, 100, 101, 254, 255, 256).map((n) => 'b'.repeat(n)) },
    { weight: 2, arbitrary: nasty.map((s) => encodeURIComponent(s.replace(/[\ud800-\udfff]/g, 'x'))) },
    // Raw bytes Node's parser may or may not accept in a request line.
    { weight: 1, arbitrary: fc.constantFrom('é', '✓', '\u{1f600}', 'a b', 'a\tb', '"', '<x>', '{name}', ':name') },
  );

/** A value of a query parameter, from its schema or not. */
const queryValue = (schema: Json): fc.Arbitrary<string> =>
  fc.oneof(
    byPattern(schema.pattern),
    fc.constantFrom('', '0', '-1', '1.5', '1e3', '99999999999999999999999', 'NaN', 'true', 'null', '[]', '%00', '%zz', 'fz'),
    fc.integer({ min: 1, max: 9000 }).map((n) => '9'.repeat(n)),
    nasty.map((s) => encodeURIComponent(s.replace(/[\ud800-\udfff]/g, 'x'))),
  );

const queryString = (op: Operation | undefined): fc.Arbitrary<string> => {
  const known = op?.query ?? [];
  const pair = fc.oneof(
    ...known.map((q) => queryValue(q.schema).map((v) => `${q.name}=${v}`)),
    fc.tuple(plainName(9), queryValue({})).map(([k, v]) => `${k}=${v}`),
    fc.constantFrom('x', '=', '&', '&&', 'a[b]=1', '__proto__[x]=1', 'constructor=1', 'limit', 'after'),
  );
  return fc.oneof({ weight: 3, arbitrary: fc.constant('') }, { weight: 2, arbitrary: fc.array(pair, { minLength: 1, maxLength: 6 }).map((ps) => `?${ps.join('&')}`) });
};

/** A JSON value valid by a (small) JSON schema, written with repeated keys allowed. */
const validValue = (schema: Json, existing: string): fc.Arbitrary<unknown> => {
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  // The default (or the least) most often: what the campaign's quotas let succeed.
  const usual = schema.default !== undefined ? [{ weight: 3, arbitrary: fc.constant(schema.default) }] : [];
  if (type === 'integer') {
    const min = (schema.minimum as number | undefined) ?? -1e6;
    return fc.oneof(...usual, { weight: 2, arbitrary: fc.constant(min) }, { weight: 1, arbitrary: fc.integer({ min, max: (schema.maximum as number | undefined) ?? 1e6 }) });
  }
  if (type === 'boolean') return fc.boolean();
  if (type === 'string') {
    if (Array.isArray(schema.enum)) return fc.constantFrom(...(schema.enum as string[]));
    return fc.oneof(...usual, { weight: 3, arbitrary: fc.constant(existing) }, { weight: 2, arbitrary: plainName(12) });
  }
  if (type === 'object') {
    const props = Object.entries((schema.properties ?? {}) as Record<string, Json>);
    const required = new Set((schema.required ?? []) as string[]);
    return fc.record(Object.fromEntries(props.map(([k, s]) => [k, validValue(s, existing)])), { requiredKeys: props.map(([k]) => k).filter((k) => required.has(k)) });
  }
  return fc.constant(null);
};

/** Any JSON value: the wrong type for whatever field it lands in. */
const wrongValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, true, false, 0, -0, -1, 1.5, 1e308, -1e308, 2 ** 53 + 1, '', '1', 'true', [], {}, [1], { a: 1 }),
  nasty,
  fc.integer({ min: 1, max: 70_000 }).map((n) => 'x'.repeat(n)),
);

/** A body: valid, mutated, or not JSON at all (raw text, since keys may repeat and numbers overflow). */
const bodyText = (op: Operation | undefined, existing: string): fc.Arbitrary<string | undefined> => {
  const schema = op?.body;
  // Routes without a body mostly get none (a body there is ignored, or refused for its encoding).
  if (!schema) return fc.oneof({ weight: 5, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constantFrom('{}', '{"x":1}', '[', 'x'.repeat(70_000)) });
  const valid = validValue(schema, existing).map((v) => JSON.stringify(v));
  const entries = validValue(schema, existing).map((v) => Object.entries((v ?? {}) as Json));
  const raw = (es: Array<[string, unknown]>) => `{${es.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v) ?? 'null'}`).join(',')}}`;
  return fc.oneof(
    { weight: 4, arbitrary: valid },
    { weight: 1, arbitrary: fc.constant(undefined) },
    // Wrong type for one field, a field dropped, a field added.
    { weight: 2, arbitrary: fc.tuple(entries, wrongValue, fc.nat()).map(([es, w, i]) => raw(es.map(([k, v], j) => [k, j === i % Math.max(1, es.length) ? w : v]))) },
    { weight: 1, arbitrary: fc.tuple(entries, fc.nat()).map(([es, i]) => raw(es.filter((_, j) => j !== i % Math.max(1, es.length)))) },
    { weight: 1, arbitrary: fc.tuple(entries, fc.constantFrom('extra', '__proto__', 'constructor', 'prototype', 'NAME', 'name ', ''), wrongValue).map(([es, k, v]) => raw([...es, [k, v]])) },
    // The same key twice, the second differently (JSON.parse keeps the last).
    { weight: 2, arbitrary: fc.tuple(entries, wrongValue).map(([es, w]) => raw([...es, ...es.slice(0, 1).map(([k]) => [k, w] as [string, unknown])])) },
    // Numbers JSON.parse reads as something else, written as literals.
    { weight: 1, arbitrary: fc.tuple(entries, fc.constantFrom('1e400', '-1e400', '99999999999999999999999999', '1.0', '0.5', '-0', '1E2', '0x10', '01', 'NaN', 'Infinity')).map(([es, n]) => raw(es).replace(/:(-?\d+)([,}])/, `:${n}$2`)) },
    // Deep nesting, in the body and in a field.
    { weight: 1, arbitrary: fc.integer({ min: 100, max: 20_000 }).map((d) => '['.repeat(d) + ']'.repeat(d)) },
    { weight: 1, arbitrary: fc.integer({ min: 100, max: 5_000 }).map((d) => `{"name":${'{"a":'.repeat(d)}1${'}'.repeat(d)}}`) },
    // Huge, truncated, not JSON.
    { weight: 1, arbitrary: fc.integer({ min: 60_000, max: 200_000 }).map((n) => `{"name":"${'n'.repeat(n)}"}`) },
    { weight: 1, arbitrary: fc.tuple(valid, fc.nat()).map(([v, i]) => v.slice(0, i % Math.max(1, v.length))) },
    { weight: 1, arbitrary: fc.oneof(nasty, fc.constantFrom('null', 'true', '0', '""', '[]', '{', '}', '{"a":1,}', "{'a':1}", 'name=fz&nodes=1', '\ufeff{}', '{"name":"\\ud800"}')) },
  );
};

const contentType = fc.oneof(
  { weight: 8, arbitrary: fc.constant('application/json') },
  { weight: 3, arbitrary: fc.constantFrom(undefined, 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=utf-8', 'application/json; charset=utf-16', 'application/json; charset=latin1', 'APPLICATION/JSON', 'application/json;', 'application/jsonx', 'application/vnd.api+json', '*/*', '', 'json', 'application/json, text/plain') },
);

/** Headers beside the content's: credentials and the rest. `key` is the campaign's valid API key. */
const credentials = (key: string): fc.Arbitrary<{ readonly lines: readonly string[]; readonly authenticated: boolean }> => {
  const id = 'f00dfeedf00dfeed'; // an account id that is not the campaign's: wrong keys never throttle it
  const basic = (s: string) => Buffer.from(s).toString('base64');
  return fc.oneof(
    { weight: 12, arbitrary: fc.constant({ lines: [`Authorization: Bearer ${key}`], authenticated: true }) },
    {
      weight: 4,
      arbitrary: fc
        .constantFrom(
          [],
          ['Authorization: Bearer'],
          ['Authorization: Bearer '],
          [`Authorization: Token ${key}`],
          [`Authorization: bearer  ${key}x`],
          [`Authorization: Bearer carina_${id}_${'A'.repeat(32)}`],
          [`Authorization: Basic ${basic(`nobody:carina_${id}_${'B'.repeat(32)}`)}`],
          ['Authorization: Basic !!!not-base64'],
          [`Authorization: Basic ${basic('no-colon')}`],
          [`Authorization: Basic ${basic(':')}`],
          ['Authorization: Digest username="x"'],
          ['Authorization: Negotiate YII='],
          ['Cookie: carina_session=guess'],
          ['Cookie: carina_session=%E0%A4%A; carina_session=x'],
          [`Authorization: Bearer ${'k'.repeat(8000)}`],
        )
        .map((lines) => ({ lines, authenticated: false })),
    },
    // Repeated: Node keeps the first Authorization, so the second is never seen.
    { weight: 1, arbitrary: fc.constant({ lines: [`Authorization: Bearer ${key}`, 'Authorization: Basic eDp5'], authenticated: true }) },
    { weight: 1, arbitrary: fc.constant({ lines: ['Authorization: Basic eDp5', `Authorization: Bearer ${key}`], authenticated: false }) },
  );
};

const extraHeaders: fc.Arbitrary<readonly string[]> = fc.oneof(
  { weight: 8, arbitrary: fc.constant([]) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      [`X-Big: ${'h'.repeat(20_000)}`],
      [`X-Big: ${'h'.repeat(15_000)}`],
      Array.from({ length: 200 }, (_, i) => `X-H${i}: 1`),
      ['Accept: text/html'],
      ['Accept: application/xml'],
      ['Accept-Encoding: gzip, br'],
      ['X-CSRF-Token: x', 'X-CSRF-Token: y'],
      ['X-Forwarded-For: 1.2.3.4', 'X-Forwarded-Proto: https'],
      ['Expect: 100-continue'],
      ['Content-Type: application/json', 'Content-Type: text/plain'],
      ['Transfer-Encoding: gzip'],
      ['Host: a', 'Host: b'],
      ['X-Bad\u0001: x'],
      ['X-Utf8: é✓'],
      ['Connection: keep-alive, Upgrade', 'Upgrade: websocket'],
    ),
  },
);

/** One generated request against the operations of the document; `existing` names a cluster that may exist. */
export function apiRequest(ops: readonly Operation[], key: string, existing: string): fc.Arbitrary<ApiFuzzRequest> {
  // Built once per operation (building fast-check's regex arbitraries costs more than drawing from them).
  const common = { type: contentType, encoding: fc.oneof({ weight: 16, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constantFrom('gzip', 'gzip-real', 'br', 'identity', 'identity, gzip') }), framing: fc.constantFrom('length', 'length', 'length', 'length', 'chunked', 'none'), auth: credentials(key), extra: extraHeaders };
  const forOperation = (op: Operation) =>
    fc.record({
      op: fc.constant(op),
      method: fc.oneof({ weight: 5, arbitrary: fc.constant(op.method) }, { weight: 1, arbitrary: fc.constantFrom(...OTHER_METHODS) }),
      path: fc.tuple(...op.params.map(() => pathParam(existing))).map((values) => op.params.reduce((p, name, i) => p.replace(`{${name}}`, values[i] ?? ''), op.path)),
      query: queryString(op),
      body: bodyText(op, existing),
      ...common,
    });
  const elsewhere = fc.record({ op: fc.constant(undefined), method: fc.constantFrom(...OTHER_METHODS), path: fc.constantFrom(...UNKNOWN_PATHS, ...PORTAL_PATHS), query: queryString(undefined), body: bodyText(undefined, existing), ...common });
  return fc.oneof(...ops.map((op) => ({ weight: 16, arbitrary: forOperation(op) })), { weight: 16, arbitrary: elsewhere }).map(({ op, method, path, query, body, type, encoding, framing, auth, extra }) => {
    let payload = body === undefined ? Buffer.alloc(0) : Buffer.from(body, 'utf8');
    const headers = ['Host: 127.0.0.1', 'Connection: close', ...auth.lines, ...extra];
    if (body !== undefined && type !== undefined) headers.push(`Content-Type: ${type}`);
    if (encoding === 'gzip-real' && body !== undefined) payload = gzipSync(payload);
    if (encoding !== undefined && body !== undefined) headers.push(`Content-Encoding: ${encoding === 'gzip-real' ? 'gzip' : encoding}`);
    let wirePayload = payload;
    if (body !== undefined && framing === 'length') headers.push(`Content-Length: ${payload.length}`);
    if (body !== undefined && framing === 'chunked') {
      headers.push('Transfer-Encoding: chunked');
      wirePayload = payload.length === 0 ? Buffer.from('0\r\n\r\n') : Buffer.concat([Buffer.from(`${payload.length.toString(16)}\r\n`), payload, Buffer.from('\r\n0\r\n\r\n')]);
    }
    if (framing === 'none') wirePayload = Buffer.alloc(0);
    const target = `${path}${query}`;
    const head = `${method} ${target} HTTP/1.1\r\n${headers.join('\r\n')}\r\n\r\n`;
    return {
      template: op?.path,
      portalPage: op === undefined && PORTAL_PATHS.includes(path),
      method,
      target,
      wire: Buffer.concat([Buffer.from(head, 'utf8'), wirePayload]),
      authenticated: auth.authenticated,
    };
  });
}
