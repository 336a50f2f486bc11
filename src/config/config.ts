import { createHash } from 'node:crypto';
import { homedir, hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { DEFAULT_FLAVOR, findFlavor } from '../core/flavors.js';
import type { LogLevel } from '../core/log.js';
import { parsePoolSpec, type ShellSpec } from '../core/warm-pool.js';

/**
 * The warm pool by default: a 1-node shell (what `carina create` makes without --nodes) and a
 * 3-node one, about 200 MiB of idle nodes (docs/warm-pool.md).
 */
export const DEFAULT_WARM_POOL = '1,3';

/** Every setting of the control plane, read from the environment in this one place. */
export interface ServerConfig {
  readonly dataDir: string;
  readonly databaseUrl: string;
  readonly listenHost: string;
  readonly listenPort: number;
  readonly dockerHost: string | undefined;
  /**
   * Where node containers run: `userns`, on Carina's node engine (a dockerd with --userns-remap in
   * a network namespace of its own, so root in a node is an unprivileged host user), or `host`, on
   * the host engine itself (root in a node is root on the host).
   */
  readonly nodeEngine: NodeEngineMode;
  /** Whether nodeEngine is the default (CARINA_NODE_ENGINE unset) rather than the operator's choice. */
  readonly nodeEngineDefaulted: boolean;
  /** The node engine's socket in `userns` mode (Carina starts one itself only at the default). */
  readonly nodeEngineHost: string;
  /** Host address node endpoints are published on. */
  readonly publishAddress: string;
  /** Address written into bundles (DOCKER_HOST) and certificates. */
  readonly advertiseAddress: string;
  readonly portRange: { readonly from: number; readonly to: number };
  /** Marks this control plane's Docker objects, so planes sharing an engine never touch each other's. */
  readonly instance: string;
  readonly dnsSuffix: string;
  readonly reconcileIntervalMs: number;
  readonly stallTimeoutMs: number;
  readonly maxFailures: number;
  readonly defaultQuotaClusters: number;
  readonly defaultQuotaNodes: number;
  /** Registry storage of an account never given its own quota (CARINA_DEFAULT_REGISTRY_QUOTA_GIB). */
  readonly defaultRegistryQuotaBytes: number;
  /** The private registry (docs/registry.md). */
  readonly registry: RegistryConfig;
  readonly debianMirror: string | undefined;
  /** IPv4 /16 that cluster node networks are carved from. */
  readonly nodeSubnetPool: string;
  /** lxcfs mount point for per-node /proc (nodes report their flavor's memory); undefined = off. */
  readonly lxcfsDir: string | undefined;
  readonly autoscaleIntervalMs: number;
  readonly autoscaleCooldownMs: number;
  /** A registered host whose engine has not answered this long is declared down and its nodes re-created elsewhere (CARINA_HOST_DOWN_AFTER_MS). */
  readonly hostDownAfterMs: number;
  /** Days the gateway's audit log is kept (older entries are deleted hourly); 0 keeps it forever. */
  readonly auditRetentionDays: number;
  /** The warm pool's shells (CARINA_WARM_POOL, docs/warm-pool.md); empty: off. */
  readonly warmPool: readonly ShellSpec[];
  /**
   * This replica's name among those sharing one store (the holder of the control-plane lease).
   * Stable across restarts, so a replica restarted after a crash takes its lease back at once.
   */
  readonly replicaId: string;
  /** How long the control-plane lease lasts unrenewed: a crashed leader's successor waits this long. */
  readonly leaseTtlMs: number;
  /** The file holding the key that seals the clusters' private keys in the store. */
  readonly secretKeyFile: string;
  /**
   * How the API and the portal are served. `files`: the operator's PEM certificate and key
   * (CARINA_TLS_CERT / CARINA_TLS_KEY, reloaded on SIGHUP and when they change); `self-issued`: a
   * server certificate from a platform CA kept in the data dir (the default on a non-loopback
   * address); `http`: plain HTTP (loopback, or CARINA_INSECURE_HTTP=1 elsewhere, warned at start).
   */
  readonly frontDoor:
    | { readonly kind: 'files'; readonly certFile: string; readonly keyFile: string }
    | { readonly kind: 'self-issued' }
    | { readonly kind: 'http'; readonly insecure: boolean };
  /**
   * The TLS-terminating proxies (addresses or CIDRs, CARINA_TRUST_PROXY) whose X-Forwarded-For and
   * X-Forwarded-Proto are believed; empty: none, the client is the peer of the connection.
   */
  readonly trustProxy: readonly string[];
  /** Time limits and connection caps of the API (caps of 0 are none). */
  readonly apiLimits: {
    readonly headersTimeoutMs: number;
    readonly requestTimeoutMs: number;
    readonly maxConnections: number;
    readonly maxConnectionsPerAddress: number;
  };
  /**
   * Where `GET /metrics` (Prometheus) is served, apart from the API (CARINA_METRICS_LISTEN), and the
   * bearer token a scrape must send (CARINA_METRICS_TOKEN); undefined: metrics are off.
   */
  readonly metrics: MetricsConfig | undefined;
  /** Time limits and connection caps of the gateway's listeners, one per cluster (caps of 0 are none). */
  readonly gatewayLimits: {
    readonly headersTimeoutMs: number;
    readonly maxConnections: number;
    readonly maxConnectionsPerCluster: number;
    readonly maxConnectionsPerAddress: number;
  };
  /** How the control plane logs (CARINA_LOG_FORMAT, CARINA_LOG_LEVEL). */
  readonly log: LogConfig;
}

/** How the control plane logs: `json` lines for machines, `pretty` ones for a human at a terminal; the lowest level written. */
export interface LogConfig {
  readonly format: 'json' | 'pretty';
  readonly level: LogLevel;
}

/** The private registry's settings (CARINA_REGISTRY*). */
export interface RegistryConfig {
  /** `auto`: run it when Debian's docker-registry is installed; `on`: refuse to start without it; `off`. */
  readonly mode: 'auto' | 'on' | 'off';
  /** HOST:PORT users and nodes reach it at; unset: chosen at start (docs/registry.md). */
  readonly address: string | undefined;
  /** Port of the address chosen at start (CARINA_REGISTRY_PORT). */
  readonly port: number;
  /** Where its front listens; unset: the address's host (every address when that is a name). */
  readonly listenHost: string | undefined;
  /** The loopback port of the docker-registry process behind the front. */
  readonly backendPort: number;
  /** Its filesystem storage. */
  readonly storageDir: string;
  /** Scheduled garbage collection; 0: only on demand (carina-server registry gc). */
  readonly gcIntervalMs: number;
}

/** The metrics listener's settings (CARINA_METRICS_*). */
export interface MetricsConfig {
  readonly host: string;
  readonly port: number;
  /** None: anyone who reaches the address reads the metrics (a warning at start unless it is loopback). */
  readonly token: string | undefined;
}

function metricsConfig(env: NodeJS.ProcessEnv, api: { host: string; port: number }): MetricsConfig | undefined {
  const listen = env.CARINA_METRICS_LISTEN || undefined;
  const token = env.CARINA_METRICS_TOKEN || undefined;
  if (listen === undefined) {
    if (token !== undefined) throw new Error('CARINA_METRICS_TOKEN is set but CARINA_METRICS_LISTEN is not: metrics are off until CARINA_METRICS_LISTEN says where to serve them (HOST:PORT)');
    return undefined;
  }
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(listen);
  const port = Number(m?.[2]);
  if (!m?.[1] || port < 1 || port > 65535) throw new Error(`CARINA_METRICS_LISTEN must be HOST:PORT, e.g. 127.0.0.1:9464 (got "${listen}")`);
  const host = m[1].replace(/^\[(.*)\]$/, '$1');
  if (host === api.host && port === api.port) throw new Error(`CARINA_METRICS_LISTEN must differ from CARINA_LISTEN (${listen}): metrics are served apart from the public API`);
  if (token !== undefined && !/^[\x21-\x7e]{16,}$/.test(token)) {
    throw new Error('CARINA_METRICS_TOKEN must be at least 16 printable characters without spaces, e.g. from openssl rand -hex 32');
  }
  return Object.freeze({ host, port, token });
}

function registryConfig(env: NodeJS.ProcessEnv, dataDir: string): RegistryConfig {
  const mode = env.CARINA_REGISTRY || 'auto';
  if (mode !== 'auto' && mode !== 'on' && mode !== 'off') throw new Error(`CARINA_REGISTRY must be auto, on or off (got "${mode}")`);
  const address = env.CARINA_REGISTRY_ADDRESS || undefined;
  if (address !== undefined && !/^[A-Za-z0-9.-]+:\d{1,5}$/.test(address)) throw new Error(`CARINA_REGISTRY_ADDRESS must be HOST:PORT (got "${address}")`);
  const port = address ? Number(address.split(':')[1]) : int(env, 'CARINA_REGISTRY_PORT', 5443);
  if (port < 1 || port > 65535) throw new Error(`CARINA_REGISTRY_PORT must be a port number (got "${port}")`);
  return Object.freeze({
    mode,
    address,
    port,
    listenHost: env.CARINA_REGISTRY_LISTEN || undefined,
    backendPort: int(env, 'CARINA_REGISTRY_BACKEND_PORT', port + 1),
    storageDir: resolve(env.CARINA_REGISTRY_STORAGE || join(dataDir, 'registry')),
    gcIntervalMs: int(env, 'CARINA_REGISTRY_GC_INTERVAL_MS', 24 * 3_600_000),
  });
}

function gibibytes(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback * 2 ** 30;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a number of GiB (got "${raw}")`);
  return Math.round(n * 2 ** 30);
}

/** Which engine runs node containers (see ServerConfig.nodeEngine). */
export type NodeEngineMode = 'userns' | 'host';

/** The socket of the node engine Carina starts itself (`carina-server up` / `setup`). */
export const DEFAULT_NODE_ENGINE_HOST = 'unix:///run/carina-nodes/docker.sock';

function nodeEngineMode(env: NodeJS.ProcessEnv, isRoot: boolean): NodeEngineMode {
  const raw = env.CARINA_NODE_ENGINE;
  // Only root can start the node engine and hand nodes their cgroups: elsewhere the host engine.
  if (raw === undefined || raw === '') return isRoot ? 'userns' : 'host';
  if (raw !== 'userns' && raw !== 'host') throw new Error(`CARINA_NODE_ENGINE must be userns or host (got "${raw}")`);
  return raw;
}

function int(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer (got "${raw}")`);
  return n;
}

/** Timeouts must be positive: 0 would mean "wait for ever" to Node, the very thing they prevent. */
function timeout(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const ms = int(env, name, fallback);
  if (ms === 0) throw new Error(`${name} must be a positive number of milliseconds`);
  return ms;
}

function limits(env: NodeJS.ProcessEnv): Pick<ServerConfig, 'apiLimits' | 'gatewayLimits'> {
  const headersTimeoutMs = timeout(env, 'CARINA_HEADERS_TIMEOUT_MS', 15_000);
  const requestTimeoutMs = timeout(env, 'CARINA_API_REQUEST_TIMEOUT_MS', 30_000);
  if (requestTimeoutMs < headersTimeoutMs) {
    throw new Error(`CARINA_API_REQUEST_TIMEOUT_MS (${requestTimeoutMs}) must be at least CARINA_HEADERS_TIMEOUT_MS (${headersTimeoutMs}): a request's head is part of it`);
  }
  return {
    apiLimits: Object.freeze({
      headersTimeoutMs,
      requestTimeoutMs,
      maxConnections: int(env, 'CARINA_API_MAX_CONNECTIONS', 1_024),
      maxConnectionsPerAddress: int(env, 'CARINA_API_MAX_CONNECTIONS_PER_ADDRESS', 64),
    }),
    gatewayLimits: Object.freeze({
      headersTimeoutMs,
      maxConnections: int(env, 'CARINA_GATEWAY_MAX_CONNECTIONS', 4_096),
      maxConnectionsPerCluster: int(env, 'CARINA_GATEWAY_MAX_CONNECTIONS_PER_CLUSTER', 512),
      maxConnectionsPerAddress: int(env, 'CARINA_GATEWAY_MAX_CONNECTIONS_PER_ADDRESS', 256),
    }),
  };
}

const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

/** CARINA_LOG_FORMAT (default: pretty when the log goes to a terminal, else json) and CARINA_LOG_LEVEL (default info). */
function logConfig(env: NodeJS.ProcessEnv, logIsTty: boolean): LogConfig {
  const format = env.CARINA_LOG_FORMAT || (logIsTty ? 'pretty' : 'json');
  if (format !== 'json' && format !== 'pretty') throw new Error(`CARINA_LOG_FORMAT must be json or pretty (got "${format}")`);
  const level = (env.CARINA_LOG_LEVEL || 'info').toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(level)) throw new Error(`CARINA_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')} (got "${env.CARINA_LOG_LEVEL}")`);
  return Object.freeze({ format, level: level as LogLevel });
}

/** Whether `host` (a listen address) is reachable only from this machine. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h) || /^::ffff:127\./.test(h);
}

function frontDoor(env: NodeJS.ProcessEnv, listenHost: string): ServerConfig['frontDoor'] {
  const cert = env.CARINA_TLS_CERT || undefined;
  const key = env.CARINA_TLS_KEY || undefined;
  if ((cert === undefined) !== (key === undefined)) throw new Error('CARINA_TLS_CERT and CARINA_TLS_KEY go together: set both (PEM files) or neither');
  if (cert !== undefined && key !== undefined) return Object.freeze({ kind: 'files', certFile: resolve(cert), keyFile: resolve(key) });
  if (isLoopbackHost(listenHost)) return Object.freeze({ kind: 'http', insecure: false });
  const insecure = env.CARINA_INSECURE_HTTP ?? '';
  if (!['', '0', '1'].includes(insecure)) throw new Error(`CARINA_INSECURE_HTTP must be 1 or unset (got "${insecure}")`);
  return insecure === '1' ? Object.freeze({ kind: 'http', insecure: true }) : Object.freeze({ kind: 'self-issued' });
}

function trustProxy(env: NodeJS.ProcessEnv): readonly string[] {
  const list = (env.CARINA_TRUST_PROXY ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const entry of list) {
    if (!/^[0-9a-fA-F:.]+(\/\d{1,3})?$/.test(entry)) {
      throw new Error(`CARINA_TRUST_PROXY lists the proxies' addresses or CIDRs, comma-separated (got "${entry}"): name them, never "trust everyone"`);
    }
  }
  return Object.freeze(list);
}

function defaultDataDir(env: NodeJS.ProcessEnv): string {
  if (process.getuid?.() === 0) return '/var/lib/carina';
  return join(env.XDG_DATA_HOME || join(homedir(), '.local', 'share'), 'carina-server');
}

/**
 * Reads the configuration from `env` (defaults: local engine, SQLite under the data directory).
 * `logIsTty`: whether the log's stream (stderr) is a terminal, where logs default to the pretty format.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, isRoot = process.getuid?.() === 0, logIsTty = process.stderr.isTTY === true): ServerConfig {
  const dataDir = resolve(env.CARINA_DATA_DIR || defaultDataDir(env));
  const [listenHost = '127.0.0.1', listenPortRaw = '8080'] = (env.CARINA_LISTEN || '127.0.0.1:8080').split(/:(?=[^:]*$)/);
  const listenPort = Number(listenPortRaw);
  if (!Number.isInteger(listenPort) || listenPort < 0 || listenPort > 65535) throw new Error(`CARINA_LISTEN must be HOST:PORT (got "${env.CARINA_LISTEN}")`);
  const range = /^(\d+)-(\d+)$/.exec(env.CARINA_PORT_RANGE || '23760-24759');
  if (!range || Number(range[1]) > Number(range[2])) throw new Error('CARINA_PORT_RANGE must be FROM-TO, e.g. 23760-24759');
  const publishAddress = env.CARINA_PUBLISH_ADDRESS || '127.0.0.1';
  return Object.freeze({
    dataDir,
    databaseUrl: env.CARINA_DATABASE_URL || `sqlite:${join(dataDir, 'carina.db')}`,
    listenHost,
    listenPort,
    dockerHost: env.DOCKER_HOST || undefined,
    nodeEngine: nodeEngineMode(env, isRoot),
    nodeEngineDefaulted: !env.CARINA_NODE_ENGINE,
    nodeEngineHost: env.CARINA_NODE_ENGINE_HOST || DEFAULT_NODE_ENGINE_HOST,
    publishAddress,
    advertiseAddress: env.CARINA_ADVERTISE_ADDRESS || publishAddress,
    portRange: Object.freeze({ from: Number(range[1]), to: Number(range[2]) }),
    instance: env.CARINA_INSTANCE || createHash('sha256').update(dataDir).digest('hex').slice(0, 12),
    dnsSuffix: env.CARINA_DNS_SUFFIX || 'carina.local',
    reconcileIntervalMs: int(env, 'CARINA_RECONCILE_INTERVAL_MS', 5_000),
    stallTimeoutMs: int(env, 'CARINA_STALL_TIMEOUT_MS', 120_000),
    maxFailures: int(env, 'CARINA_MAX_FAILURES', 8),
    defaultQuotaClusters: int(env, 'CARINA_DEFAULT_QUOTA_CLUSTERS', 3),
    defaultQuotaNodes: int(env, 'CARINA_DEFAULT_QUOTA_NODES', 5),
    defaultRegistryQuotaBytes: gibibytes(env, 'CARINA_DEFAULT_REGISTRY_QUOTA_GIB', 10),
    registry: registryConfig(env, dataDir),
    debianMirror: env.CARINA_DEBIAN_MIRROR || undefined,
    nodeSubnetPool: env.CARINA_NODE_SUBNET_POOL || '10.213.0.0/16',
    lxcfsDir: env.CARINA_LXCFS === 'off' ? undefined : env.CARINA_LXCFS || '/var/lib/lxcfs',
    autoscaleIntervalMs: int(env, 'CARINA_AUTOSCALE_INTERVAL_MS', 15_000),
    autoscaleCooldownMs: int(env, 'CARINA_AUTOSCALE_COOLDOWN_MS', 60_000),
    hostDownAfterMs: int(env, 'CARINA_HOST_DOWN_AFTER_MS', 30_000),
    auditRetentionDays: int(env, 'CARINA_AUDIT_RETENTION_DAYS', 90),
    warmPool: parsePoolSpec(env.CARINA_WARM_POOL ?? DEFAULT_WARM_POOL, DEFAULT_FLAVOR, (name) => findFlavor(name) !== undefined),
    // Two live processes cannot listen on one host:port, so this name is never held by two at once.
    replicaId: env.CARINA_REPLICA_ID || `${hostname()}:${listenPort}`,
    leaseTtlMs: Math.max(3_000, int(env, 'CARINA_LEASE_TTL_MS', 15_000)),
    secretKeyFile: resolve(env.CARINA_SECRET_KEY_FILE || join(dataDir, 'secret.key')),
    frontDoor: frontDoor(env, listenHost),
    trustProxy: trustProxy(env),
    metrics: metricsConfig(env, { host: listenHost, port: listenPort }),
    log: logConfig(env, logIsTty),
    ...limits(env),
  });
}
