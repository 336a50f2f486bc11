import fc from 'fast-check';

/**
 * Generated Docker API requests for the gateway fuzz campaign (issue 15): the policy's forbidden
 * settings, written every way the engine's own decoder still reads them — field names in any case
 * (and with Go's ſ/K folds), repeated keys at every depth, the deprecated top-level host config,
 * API version prefixes, encoded paths, link-alias container references, chunked bodies on every
 * method, pipelined requests. JSON is written by hand from entry lists, so a key can repeat.
 */

/** A JSON value whose objects are entry lists (keys may repeat, in the order written). */
export type Json = null | boolean | number | string | Json[] | { readonly entries: ReadonlyArray<readonly [string, Json]> };

/** Serialises a `Json`, repeated keys included. */
export function write(value: Json): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(write).join(',')}]`;
  return `{${value.entries.map(([k, v]) => `${JSON.stringify(k)}:${write(v)}`).join(',')}}`;
}

const obj = (...entries: Array<readonly [string, Json]>): Json => ({ entries });

/** One request of the campaign, with how it is framed on the wire. */
export interface FuzzRequest {
  readonly method: string;
  readonly path: string;
  readonly body: string | undefined;
  readonly framing: 'length' | 'chunked' | 'smuggle' | 'pipelined';
  /** Whether the request carries a setting the policy forbids (benign ones check the campaign lets work through). */
  readonly forbidden: boolean;
}

/** Settings a container's host config must never get, as [field, value]. */
const HOST_CONFIG_FORBIDDEN: ReadonlyArray<readonly [string, Json]> = [
  ['Privileged', true],
  ['Binds', ['/:/host']],
  ['Binds', ['/run:/r:ro']],
  ['CapAdd', ['SYS_ADMIN']],
  ['CapAdd', ['ALL']],
  ['PidMode', 'host'],
  ['IpcMode', 'host'],
  ['NetworkMode', 'host'],
  ['UTSMode', 'host'],
  ['UsernsMode', 'host'],
  ['SecurityOpt', ['seccomp=unconfined']],
  ['SecurityOpt', ['apparmor=unconfined']],
  ['MaskedPaths', []],
  ['ReadonlyPaths', []],
  ['Devices', [obj(['PathOnHost', '/dev/kmsg'], ['PathInContainer', '/dev/kmsg'], ['CgroupPermissions', 'rwm'])]],
  ['DeviceCgroupRules', ['c *:* rwm']],
  ['Sysctls', obj(['kernel.shm_rmid_forced', '1'])],
  ['CgroupParent', '/'],
  ['Mounts', [obj(['Type', 'bind'], ['Source', '/'], ['Target', '/h'])]],
  ['Mounts', [obj(['Type', 'volume'], ['Source', 'fz'], ['Target', '/v'], ['VolumeOptions', obj(['DriverConfig', obj(['Name', 'local'], ['Options', obj(['type', 'none'], ['o', 'bind'], ['device', '/'])])])])]],
];
const HOST_CONFIG_BENIGN: ReadonlyArray<readonly [string, Json]> = [
  ['Memory', 67108864],
  ['CapDrop', ['ALL']],
  ['Binds', ['fzdata:/d']],
  ['Mounts', [obj(['Type', 'tmpfs'], ['Target', '/t'])]],
  ['Privileged', false],
  ['SecurityOpt', ['no-new-privileges']],
];
const SERVICE_FORBIDDEN: ReadonlyArray<readonly [string, Json]> = [
  ['Mounts', [obj(['Type', 'bind'], ['Source', '/'], ['Target', '/h'])]],
  ['CapabilityAdd', ['CAP_SYS_ADMIN']],
  ['Sysctls', obj(['net.core.somaxconn', '1024'])],
  ['Privileges', obj(['Seccomp', obj(['Mode', 'unconfined'])])],
];

/** A field name as Go's decoder still matches it: any case, and ſ for s, K (Kelvin) for k. */
const spelling = (name: string): fc.Arbitrary<string> =>
  fc.array(fc.integer({ min: 0, max: 3 }), { minLength: name.length, maxLength: name.length }).map((choices) =>
    [...name]
      .map((ch, i) => {
        const c = choices[i] ?? 0;
        if (c === 3 && /s/i.test(ch)) return 'ſ';
        if (c === 3 && /k/i.test(ch)) return 'K';
        return c % 2 === 0 ? ch.toUpperCase() : ch.toLowerCase();
      })
      .join(''),
  );

/** A field that may be written twice: the forbidden value hidden before or after a harmless copy. */
const entriesFor = (field: readonly [string, Json], decoy: Json): fc.Arbitrary<Array<readonly [string, Json]>> =>
  fc.tuple(spelling(field[0]), spelling(field[0]), fc.constantFrom('once', 'first', 'last')).map(([a, b, where]) => {
    if (where === 'once') return [[a, field[1]] as const];
    return where === 'first' ? [[a, field[1]] as const, [b, decoy] as const] : [[b, decoy] as const, [a, field[1]] as const];
  });

const hostConfigField = fc.oneof(
  { weight: 9, arbitrary: fc.constantFrom(...HOST_CONFIG_FORBIDDEN).map((f) => ({ field: f, forbidden: true })) },
  { weight: 1, arbitrary: fc.constantFrom(...HOST_CONFIG_BENIGN).map((f) => ({ field: f, forbidden: false })) },
);

/** A container create body: the field inside HostConfig (perhaps repeated, perhaps a second HostConfig) or at the top level. */
const containerBody = fc
  .tuple(hostConfigField, fc.constantFrom('inner', 'top', 'second-hostconfig', 'first-hostconfig'), spelling('HostConfig'), spelling('HostConfig'))
  .chain(([{ field, forbidden }, placement, hc1, hc2]) =>
    entriesFor(field, Array.isArray(field[1]) ? [] : null).map((fields) => {
      const base: Array<readonly [string, Json]> = [['Image', 'carina/busybox'], ['Cmd', ['true']], ['Labels', obj(['carina.fuzz', '1'])]];
      const inner = obj(...fields);
      const entries: Array<readonly [string, Json]> =
        placement === 'top' ? [...base, ...fields]
        : placement === 'second-hostconfig' ? [...base, [hc1, obj()], [hc2, inner]]
        : placement === 'first-hostconfig' ? [...base, [hc1, inner], [hc2, obj()]]
        : [...base, [hc1, inner]];
      return { body: write(obj(...entries)), forbidden };
    }),
  );

const serviceBody = fc.tuple(fc.constantFrom(...SERVICE_FORBIDDEN), spelling('TaskTemplate'), spelling('ContainerSpec'), fc.boolean(), fc.nat(1_000_000)).chain(([field, tt, cs, twice, n]) =>
  entriesFor(field, Array.isArray(field[1]) ? [] : obj()).map((fields) => {
    const spec = obj(['Image', 'carina/busybox'], ['Args', ['sleep', '60']], ...fields);
    const template = obj([cs, spec]);
    const entries: Array<readonly [string, Json]> = [['Name', `fzsvc${n}`], ['Labels', obj(['carina.fuzz', '1'])], ['Mode', obj(['Replicated', obj(['Replicas', 0])])], [tt, template]];
    if (twice) entries.push([tt, obj([cs, obj(['Image', 'carina/busybox'])])]);
    return { body: write(obj(...entries)), forbidden: true };
  }),
);

const volumeBody = fc.tuple(spelling('DriverOpts'), spelling('DriverOpts'), fc.boolean(), fc.nat(1_000_000)).map(([a, b, twice, n]) => {
  const opts = obj(['type', 'none'], ['o', 'bind'], ['device', '/run']);
  const entries: Array<readonly [string, Json]> = [['Name', `fzvol${n}`], ['Labels', obj(['carina.fuzz', '1'])], [a, opts]];
  if (twice) entries.push([b, obj()]);
  return { body: write(obj(...entries)), forbidden: true };
});

const execBody = fc.tuple(spelling('Privileged'), fc.boolean()).map(([p, twice]) => ({
  body: write(obj(['Cmd', ['true']], [p, true], ...(twice ? [[p.toLowerCase(), false] as const] : []))),
  forbidden: true,
}));

/** A path as the engine still routes it: a version prefix or none, some characters percent-encoded. */
const route = (path: string): fc.Arbitrary<string> =>
  fc.tuple(fc.constantFrom('', '/v1.41', '/v1.40', '/v1.24'), fc.array(fc.boolean(), { minLength: path.length, maxLength: path.length })).map(([version, encode]) =>
    version + [...path].map((ch, i) => (encode[i] === true && /[a-z/]/.test(ch) && i > 0 ? `%${ch.charCodeAt(0).toString(16).toUpperCase()}` : ch)).join(''),
  );

/** One generated request against a cluster where `base` runs and `alias` (e.g. `lnk/alias`) names it through a link. */
export function fuzzRequest(base: string, alias: string): fc.Arbitrary<FuzzRequest> {
  const container = fc.tuple(route('/containers/create'), containerBody).map(([path, b]) => ({ method: 'POST', path, ...b }));
  const legacyStart = fc.tuple(fc.constantFrom(base, alias), containerBody, fc.constantFrom('/v1.23', '/v1.20', '')).map(([ref, b, v]) => {
    // Only the host config travels on a legacy start: unwrap what the container body put around it.
    return { method: 'POST', path: `${v}/containers/${ref}/start`, body: b.body, forbidden: b.forbidden };
  });
  const update = fc.tuple(fc.constantFrom(base, alias), containerBody).map(([ref, b]) => ({ method: 'POST', path: `/v1.41/containers/${ref}/update`, ...b }));
  const exec = fc.tuple(fc.constantFrom(base, alias), execBody).map(([ref, b]) => ({ method: 'POST', path: `/v1.41/containers/${ref}/exec`, ...b }));
  const service = fc.tuple(route('/services/create'), serviceBody).map(([path, b]) => ({ method: 'POST', path, ...b }));
  const volume = fc.tuple(route('/volumes/create'), volumeBody).map(([path, b]) => ({ method: 'POST', path, ...b }));
  const configured = fc.oneof(
    { weight: 5, arbitrary: container },
    { weight: 1, arbitrary: legacyStart },
    { weight: 1, arbitrary: update },
    { weight: 1, arbitrary: exec },
    { weight: 2, arbitrary: service },
    { weight: 1, arbitrary: volume },
  );
  return fc.tuple(configured, fc.constantFrom('length', 'length', 'length', 'chunked', 'smuggle', 'pipelined'), fc.constantFrom('GET', 'DELETE', 'HEAD', 'OPTIONS')).map(
    ([request, framing, carrier]): FuzzRequest =>
      framing === 'smuggle'
        ? // The configuration rides as a second request inside a chunked body of a request that should have none.
          { method: carrier, path: '/v1.41/containers/json', body: rawRequest(request.method, request.path, request.body, 'length', false), framing, forbidden: request.forbidden }
        : { ...request, framing: framing },
  );
}

/** The bytes of one HTTP/1.1 request, its body framed by Content-Length or chunked (`close`: the last on its connection). */
export function rawRequest(method: string, path: string, body: string | undefined, framing: 'length' | 'chunked', close = true): string {
  const head = `${method} ${path} HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\n${close ? 'Connection: close\r\n' : ''}`;
  if (body === undefined) return `${head}\r\n`;
  if (framing === 'chunked') return `${head}Transfer-Encoding: chunked\r\n\r\n${Buffer.byteLength(body).toString(16)}\r\n${body}\r\n0\r\n\r\n`;
  return `${head}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

/** The wire bytes of a generated request (a pipelined one follows a harmless GET in the same write). */
export function wireBytes(r: FuzzRequest): string {
  if (r.framing === 'smuggle') return rawRequest(r.method, r.path, r.body, 'chunked');
  if (r.framing === 'pipelined') return rawRequest('GET', '/v1.41/version', undefined, 'length', false) + rawRequest(r.method, r.path, r.body, 'length');
  return rawRequest(r.method, r.path, r.body, r.framing);
}
