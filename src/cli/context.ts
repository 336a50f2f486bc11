import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ApiClient } from './api-client.js';
import { parseDuration } from './args.js';
import { carinaHome, checkTransport, noCredentialsError, parseProfiles, resolveSettings, type RawProfile, type Settings } from './config.js';
import { CliCode, CliError } from './errors.js';
import { toJson } from './format.js';
import { HttpClient } from './http-client.js';
import { credentialsDir, credentialsUser } from './local-paths.js';

/** The process's outside world, passed in so commands never touch `process` directly. */
export interface Io {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly home: string;
  readonly stderrIsTTY: boolean;
  out(text: string): void;
  err(text: string): void;
}

/** Options every command accepts. */
export interface GlobalOptions {
  readonly endpoint?: string;
  readonly username?: string;
  readonly apikey?: string;
  readonly profile?: string;
  readonly cacert?: string;
  readonly insecureHttp?: boolean;
  readonly json?: boolean;
  readonly debug?: boolean;
}

/** Default bound on each HTTP request (override with CARINA_HTTP_TIMEOUT). */
export const DEFAULT_HTTP_TIMEOUT_MS = 10_000;

/** One invocation: its options, configuration and API client, resolved lazily. */
export class Context {
  readonly io: Io;
  readonly version: string;
  readonly #g: GlobalOptions;
  #settings: Settings | undefined;

  constructor(io: Io, globals: GlobalOptions, version: string) {
    this.io = io;
    this.#g = globals;
    this.version = version;
  }

  get json(): boolean {
    return this.#g.json === true;
  }

  /** `$CARINA_HOME` (else `$XDG_DATA_HOME/carina`, else `~/.carina`). */
  get home(): string {
    return carinaHome(this.io.env, this.io.home);
  }

  get configPath(): string {
    return join(this.home, 'config.toml');
  }

  /** A --debug line on stderr. */
  debug(line: string): void {
    if (this.#g.debug) this.io.err(`debug: ${line}\n`);
  }

  /** Prints `value` as JSON with --json, else the human text. */
  print(value: unknown, human: string): void {
    this.io.out(this.json ? toJson(value) : human);
  }

  /** Endpoint, username and key with their precedence applied (reads config.toml if present). */
  async settings(): Promise<Settings> {
    if (this.#settings) return this.#settings;
    let profiles: Record<string, RawProfile> = {};
    try {
      profiles = parseProfiles(await readFile(this.configPath, 'utf8'), this.configPath);
    } catch (error) {
      if (error instanceof CliError) throw error;
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new CliError(CliCode.CONFIG, `cannot read ${this.configPath}: ${(error as Error).message}`);
      }
    }
    const g = this.#g;
    const s = resolveSettings({ endpoint: g.endpoint, username: g.username, apikey: g.apikey, cacert: g.cacert, profile: g.profile }, this.io.env, profiles, this.configPath);
    this.debug(`config: ${this.configPath}; endpoint ${s.endpoint} from ${s.sources.endpoint}; username from ${s.sources.username ?? 'nowhere'}; API key from ${s.sources.apikey ?? 'nowhere'}`);
    this.#settings = s;
    return s;
  }

  /** The API client; fails with the no-credentials message when no key is configured. */
  async api(): Promise<ApiClient> {
    const s = await this.settings();
    if (!s.apikey) throw noCredentialsError(this.configPath);
    checkTransport(s.endpoint, this.#g.insecureHttp === true);
    const ca = s.cacert === undefined ? undefined : await readCa(s.cacert);
    const raw = this.io.env.CARINA_HTTP_TIMEOUT;
    const timeoutMs = raw ? parseDuration(raw, 'CARINA_HTTP_TIMEOUT') : DEFAULT_HTTP_TIMEOUT_MS;
    const sources = `API key from ${s.sources.apikey ?? '?'}${s.username ? `, username "${s.username}" from ${s.sources.username ?? '?'}` : ''}`;
    const http = new HttpClient({
      endpoint: s.endpoint,
      endpointSource: s.sources.endpoint,
      username: s.username,
      apikey: s.apikey,
      credentialSources: sources,
      timeoutMs,
      ca,
      userAgent: `carina-cli/${this.version}`,
      debug: this.#g.debug ? (line) => this.io.err(`debug: ${line}\n`) : undefined,
    });
    return new ApiClient(http);
  }

  /** The default credentials directory of a cluster: `$CARINA_HOME/clusters/<user>/<cluster>`. */
  async defaultCredentialsDir(cluster: string): Promise<string> {
    const s = await this.settings();
    return credentialsDir(this.home, credentialsUser(s.username, s.apikey), cluster);
  }
}

/** The PEM text of a CA file to trust, or a one-line configuration error. */
async function readCa(path: string): Promise<string> {
  try {
    const text = await readFile(path, 'utf8');
    if (text.includes('-----BEGIN CERTIFICATE-----')) return text;
  } catch (error) {
    throw new CliError(CliCode.CONFIG, `cannot read the CA certificate ${path} (--cacert / CARINA_CACERT): ${(error as Error).message}`);
  }
  throw new CliError(CliCode.CONFIG, `${path} (--cacert / CARINA_CACERT) holds no PEM certificate: give the server's api-ca.pem`);
}
