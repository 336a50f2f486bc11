import { join } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { CliCode, CliError } from './errors.js';

/** The endpoint used when no flag, variable or profile names one. */
export const DEFAULT_ENDPOINT = 'http://127.0.0.1:8080';

/** Values a profile (a `[name]` section of config.toml) sets, once its `-var` keys are read. */
export interface Profile {
  readonly endpoint?: string;
  readonly username?: string;
  readonly apikey?: string;
  /** A PEM file of the CA that signed the endpoint's HTTPS certificate (e.g. the server's api-ca.pem). */
  readonly cacert?: string;
}

/** A profile as written: each value literal, or the name of an environment variable holding it. */
export type RawProfile = Partial<Record<'endpoint' | 'username' | 'apikey' | 'cacert', { readonly value: string } | { readonly variable: string }>>;

/** What the command line says (undefined when a flag is absent). */
export interface ConfigFlags {
  readonly endpoint?: string | undefined;
  readonly username?: string | undefined;
  readonly apikey?: string | undefined;
  readonly cacert?: string | undefined;
  readonly profile?: string | undefined;
}

/** The resolved settings of one invocation, with where each value came from (for --debug). */
export interface Settings {
  readonly endpoint: string;
  readonly username: string | undefined;
  readonly apikey: string | undefined;
  /** The CA file to trust for an https:// endpoint (else the system's CAs). */
  readonly cacert: string | undefined;
  readonly profile: string | undefined;
  readonly sources: { readonly endpoint: string; readonly username: string | undefined; readonly apikey: string | undefined };
}

type Env = Readonly<Record<string, string | undefined>>;
type Layer = { readonly source: string } & Profile;
const FIELDS = ['endpoint', 'username', 'apikey', 'cacert'] as const;

/** `CARINA_HOME`, else `$XDG_DATA_HOME/carina`, else `~/.carina`. */
export function carinaHome(env: Env, homeDir: string): string {
  if (env.CARINA_HOME) return env.CARINA_HOME;
  if (env.XDG_DATA_HOME) return join(env.XDG_DATA_HOME, 'carina');
  return join(homeDir, '.carina');
}

const configError = (message: string) => new CliError(CliCode.CONFIG, message);

/**
 * Parses config.toml into profiles. `KEY-var = "NAME"` reads KEY from the environment variable
 * NAME; keys this CLI doesn't use (e.g. the old CLI's `cloud`) are ignored.
 */
export function parseProfiles(text: string, path: string): Record<string, RawProfile> {
  let doc: Record<string, unknown>;
  try {
    doc = parseToml(text);
  } catch (error) {
    const first = (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
    throw configError(`cannot parse ${path}: ${first}; fix the TOML syntax`);
  }
  const profiles: Record<string, RawProfile> = {};
  for (const [name, section] of Object.entries(doc)) {
    if (!section || typeof section !== 'object' || Array.isArray(section)) continue;
    const values = section as Record<string, unknown>;
    const profile: RawProfile = {};
    for (const field of FIELDS) {
      const direct = values[field];
      const viaVar = values[`${field}-var`];
      if (direct !== undefined) {
        if (typeof direct !== 'string') throw configError(`${path}: [${name}] ${field} must be a string`);
        profile[field] = { value: direct };
      } else if (viaVar !== undefined) {
        if (typeof viaVar !== 'string' || viaVar === '') throw configError(`${path}: [${name}] ${field}-var must name an environment variable`);
        profile[field] = { variable: viaVar };
      }
    }
    profiles[name] = profile;
  }
  return profiles;
}

/** Reads a profile's values, taking `-var` ones from `env` (an unset variable is an error). */
export function materialise(raw: RawProfile, name: string, env: Env, path: string): Profile {
  const profile: Record<string, string> = {};
  for (const field of FIELDS) {
    const spec = raw[field];
    if (!spec) continue;
    const value = 'value' in spec ? spec.value : env[spec.variable];
    if ('variable' in spec && !value) {
      throw configError(`profile "${name}" reads ${field} from $${spec.variable}, which is not set: export it or edit ${path}`);
    }
    if (value) profile[field] = value;
  }
  return profile;
}

function pick(profiles: Record<string, RawProfile>, name: string, env: Env, path: string, source: string): Layer {
  const raw = profiles[name];
  if (!raw) {
    const known = Object.keys(profiles);
    const list = known.length > 0 ? `it has ${known.map((k) => `[${k}]`).join(', ')}` : 'it has none';
    throw configError(`no profile "${name}" in ${path} (${list}): add a [${name}] section or pick another with --profile`);
  }
  return { source, ...materialise(raw, name, env, path) };
}

/** Checks and normalises an endpoint URL (no trailing slash). */
export function normaliseEndpoint(raw: string, source: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw configError(`endpoint "${raw}" (from ${source}) is not a URL: use e.g. ${DEFAULT_ENDPOINT}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw configError(`endpoint "${raw}" (from ${source}) must start with http:// or https://`);
  }
  return url.toString().replace(/\/+$/, '');
}

/**
 * Resolves endpoint, username and API key. Layers, highest first: flags; the `--profile` profile;
 * CARINA_* variables; the CARINA_PROFILE profile; the `default` profile (only when none of the
 * others gives an API key). Each value comes from the highest layer that sets it, except that the
 * username is never taken from a layer below the one that gave the API key.
 */
export function resolveSettings(flags: ConfigFlags, env: Env, profiles: Record<string, RawProfile>, path: string): Settings {
  const layers: Layer[] = [{ source: 'flags', endpoint: flags.endpoint, username: flags.username, apikey: flags.apikey, cacert: flags.cacert }];
  const selected = flags.profile || env.CARINA_PROFILE || undefined;
  if (flags.profile) layers.push(pick(profiles, flags.profile, env, path, `profile "${flags.profile}"`));
  layers.push({ source: 'environment', endpoint: env.CARINA_ENDPOINT, username: env.CARINA_USERNAME, apikey: env.CARINA_APIKEY, cacert: env.CARINA_CACERT });
  if (!flags.profile && env.CARINA_PROFILE) layers.push(pick(profiles, env.CARINA_PROFILE, env, path, `profile "${env.CARINA_PROFILE}" (CARINA_PROFILE)`));
  const keyed = layers.some((l) => l.apikey);
  let profile = selected;
  if (!selected && !keyed && profiles.default) {
    layers.push(pick(profiles, 'default', env, path, 'profile "default"'));
    profile = 'default';
  }
  const keyAt = layers.findIndex((l) => l.apikey);
  const userLayers = keyAt < 0 ? layers : layers.slice(0, keyAt + 1);
  const endpointLayer = layers.find((l) => l.endpoint);
  const userLayer = userLayers.find((l) => l.username);
  const keyLayer = layers[keyAt];
  const endpointSource = endpointLayer ? endpointLayer.source : 'built-in default';
  return {
    endpoint: normaliseEndpoint(endpointLayer?.endpoint ?? DEFAULT_ENDPOINT, endpointSource),
    username: userLayer?.username,
    apikey: keyLayer?.apikey,
    // The CA goes with the endpoint it vouches for: from the layer that named the endpoint, or any above it.
    cacert: layers.slice(0, endpointLayer ? layers.indexOf(endpointLayer) + 1 : layers.length).find((l) => l.cacert)?.cacert,
    profile,
    sources: { endpoint: endpointSource, username: userLayer?.source, apikey: keyLayer?.source },
  };
}

/** Whether an endpoint's host is this machine (a key sent there in clear text never crosses a network). */
export function isLoopbackEndpoint(endpoint: string): boolean {
  const host = new URL(endpoint).hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * Refuses to send an API key in clear text over a network: an http:// endpoint that is not this
 * machine needs `--insecure-http`, said in one line with what to do instead.
 */
export function checkTransport(endpoint: string, insecureHttp: boolean): void {
  if (insecureHttp || !endpoint.startsWith('http:') || isLoopbackEndpoint(endpoint)) return;
  throw configError(
    `refusing to send your API key to ${endpoint} in clear text: use its https:// address (with --cacert / CARINA_CACERT if the server issued its own certificate), or pass --insecure-http if the network is yours alone`,
  );
}

/** The one-line explanation given when no API key was found anywhere. */
export function noCredentialsError(configPath: string): CliError {
  return new CliError(
    CliCode.NO_CREDENTIALS,
    `no credentials: pass --apikey (or set CARINA_APIKEY) and optionally --username (CARINA_USERNAME), ` +
      `or add a [default] profile with apikey to ${configPath} (pick other profiles with --profile or CARINA_PROFILE)`,
  );
}
