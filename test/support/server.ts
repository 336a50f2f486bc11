import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import tls from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import Dockerode from 'dockerode';
import { Agent } from 'undici';
import { loadConfig } from '../../src/config/config.js';
import { launcherNodeFlags } from './launcher.js';

const run = promisify(execFile);
const ROOT = new URL('../..', import.meta.url).pathname;
const SERVER = join(ROOT, 'bin/carina-server.js');
/** The node flags `carina-server` runs with (its #! line), so the tests run the control plane as users do. */
const SERVER_FLAGS = launcherNodeFlags(SERVER);

let nextSlot = 0;
/** Every server this test file started, so a failing test can show what they logged. */
const started = new Set<TestServer>();

/** A real control plane in a child process, with its own data dir, port range and instance label. */
export class TestServer {
  readonly dataDir: string;
  readonly port: number;
  readonly instance: string;
  readonly url: string;
  readonly env: NodeJS.ProcessEnv;
  #child: ChildProcess | undefined;
  #trusting: Agent | undefined;

  readonly logFile: string;

  /**
   * `host`: the address to listen on (default 127.0.0.1; the portal test's browser reaches it over
   * a veth). `replicaOf`: another replica of that control plane (same data dir, instance, port
   * range and environment; its own API port and log). `env`: more environment for it.
   */
  constructor(name: string, options: { host?: string; replicaOf?: TestServer; env?: Record<string, string> } = {}) {
    const host = options.host ?? '127.0.0.1';
    // Every port a test server takes lies below the kernel's ephemeral range (32768 and up on
    // Linux): a gateway port there can be held by any outgoing connection on the machine (or its
    // TIME_WAIT), and the cluster's endpoint then refuses connections until it is free. CI's
    // autoscale test once found its cluster's port taken that way. API 18000-18699, registry
    // 19000-19699, endpoints (15 per server) in ENDPOINT_PORTS, clear of a server on the default
    // range and of the benchmarks' ranges; the pid spreads a file's servers away from what an
    // earlier, killed run may have left listening.
    const slot = (process.pid % 35) * 20 + (nextSlot++ % 20);
    const of = options.replicaOf;
    this.dataDir = of?.dataDir ?? mkdtempSync(join(tmpdir(), `carina-e2e-${name}-`));
    this.port = 18000 + slot;
    this.instance = of?.instance ?? `e2e-${name}-${process.pid}`;
    // A non-loopback address is served over HTTPS with the server's own CA (src/server/front-door.ts).
    const plain = /^(127\.|localhost$|::1$)/.test(host) || options.env?.CARINA_INSECURE_HTTP === '1';
    // Listening on every address, it is reached here on loopback (which its certificate names too).
    this.url = `${plain ? 'http' : 'https'}://${host === '0.0.0.0' ? '127.0.0.1' : host}:${this.port}`;
    this.logFile = join(this.dataDir, of ? `server-${this.port}.log` : 'server.log');
    const portBase = endpointBase(slot);
    this.env = {
      ...process.env,
      CARINA_DATA_DIR: this.dataDir,
      CARINA_PORT_RANGE: `${portBase}-${portBase + ENDPOINTS_PER_SERVER - 1}`,
      CARINA_INSTANCE: this.instance,
      CARINA_RECONCILE_INTERVAL_MS: '2000',
      // The registry is the registry tests' business (CARINA_REGISTRY=on there), each server on ports of its own.
      CARINA_REGISTRY: 'off',
      CARINA_REGISTRY_PORT: String(19000 + slot),
      // The warm pool builds nodes in the background (CPU the other e2e files share): its own test turns it on.
      CARINA_WARM_POOL: '0',
      ...of?.env,
      ...options.env,
      CARINA_LISTEN: `${host}:${this.port}`,
    };
  }

  /** Starts `carina-server up` and waits until /healthz answers (at most `timeoutMs`). */
  async start(extraEnv: Record<string, string> = {}, timeoutMs = 30_000): Promise<void> {
    const log = openSync(this.logFile, 'a');
    started.add(this);
    this.#child = spawn(process.execPath, [...SERVER_FLAGS, SERVER, 'up'], { env: { ...this.env, ...extraEnv }, stdio: ['ignore', log, log] });
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.#child.exitCode !== null) throw new Error(`carina-server exited with ${this.#child.exitCode}; see ${this.logFile}`);
      try {
        if ((await this.fetch(`${this.url}/healthz`)).ok) return;
      } catch {
        /* not listening yet */
      }
      await sleep(100);
    }
    throw new Error(`carina-server did not answer within ${timeoutMs / 1000} s; see ${this.logFile}`);
  }

  /** The CA file an HTTPS server issued its certificate from (clients trust it). */
  get caFile(): string {
    return join(this.dataDir, 'api-ca.pem');
  }

  /** fetch() that trusts this server's own CA once it exists (plain fetch for an http:// server). */
  fetch(url: string, init: RequestInit = {}): Promise<Response> {
    if (!this.url.startsWith('https:') || !existsSync(this.caFile)) return fetch(url, init);
    // One agent for the server's life (its CA stays across restarts), not a new one per poll.
    this.#trusting ??= new Agent({ connect: { ca: readFileSync(this.caFile) } });
    return fetch(url, { ...init, dispatcher: this.#trusting });
  }

  /** The base64 SHA-256 of the public key the HTTPS server presents (Chromium's --ignore-certificate-errors-spki-list). */
  async spkiPin(): Promise<string> {
    const { hostname, port } = new URL(this.url);
    const socket = tls.connect({ host: hostname, port: Number(port), rejectUnauthorized: false });
    await once(socket, 'secureConnect');
    const cert = new X509Certificate(socket.getPeerCertificate().raw);
    socket.destroy();
    // (getPeerCertificate().pubkey is the bare EC point, not the SubjectPublicKeyInfo Chromium hashes.)
    return createHash('sha256').update(cert.publicKey.export({ type: 'spki', format: 'der' })).digest('base64');
  }

  /** kill -9: the crash the control plane must survive. */
  async kill(): Promise<void> {
    const child = this.#child;
    // A process ended by a signal keeps exitCode null: without signalCode a second kill waited for ever.
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  /** Sends `signal` to the process: SIGSTOP and SIGCONT pause and resume it (a leader paused, not dead). */
  signal(signal: NodeJS.Signals): void {
    const child = this.#child;
    if (child && child.exitCode === null) child.kill(signal);
  }

  async stop(): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await Promise.race([exited, sleep(10_000).then(() => child.kill('SIGKILL'))]);
  }

  /** `carina-server ARGS…` against this server's data dir. */
  async admin(...args: string[]): Promise<string> {
    const { stdout } = await run(process.execPath, [SERVER, ...args], { env: this.env });
    return stdout;
  }

  /** Creates an account and returns its API key. */
  async createAccount(name: string, ...flags: string[]): Promise<string> {
    const out = await this.admin('accounts', 'create', name, ...flags);
    const key = out.trim().split('\n').pop();
    if (!key?.startsWith('carina_')) throw new Error(`unexpected output of accounts create: ${out}`);
    return key;
  }

  /** What the server logged last, kept by cleanup() for a failure report after the data dir is gone. */
  keptLog = '';

  /** Removes every Docker object of this server's instance, and stops it. */
  async cleanup(): Promise<void> {
    await this.kill();
    // A killed leader leaves its registry running (as a crashed one would: the next start adopts it).
    const registryPid = Number(readLog(join(this.dataDir, 'registry.pid'))?.split('\n')[0]);
    if (Number.isInteger(registryPid) && registryPid > 0) {
      try {
        process.kill(registryPid, 'SIGKILL');
      } catch {
        /* gone already */
      }
    }
    // `carina registry login` as root trusts this server's registry in the host daemon's certs.d: forget it.
    const certsD = '/etc/docker/certs.d';
    for (const entry of existsSync(certsD) ? readdirSync(certsD) : []) {
      if (entry.endsWith(`:${this.env.CARINA_REGISTRY_PORT}`)) rmSync(join(certsD, entry), { recursive: true, force: true });
    }
    await this.#trusting?.destroy();
    this.#trusting = undefined;
    this.keptLog = readLog(this.logFile) ?? this.keptLog;
    await purgeInstance(this.instance);
  }
}

/**
 * Where test servers' endpoint ranges may lie: below the kernel's ephemeral ports (32768), apart
 * from the default CARINA_PORT_RANGE (23760-24759, a developer's own server) and the benchmarks'
 * servers (26000-26999).
 */
const ENDPOINT_PORTS: readonly (readonly [number, number])[] = [
  [20000, 23760],
  [24760, 26000],
  [27000, 32768],
];
const ENDPOINTS_PER_SERVER = 15;

/** The first endpoint port of test server `slot` (0-699): slot after slot through ENDPOINT_PORTS. */
export function endpointBase(slot: number): number {
  let offset = slot * ENDPOINTS_PER_SERVER;
  for (const [from, to] of ENDPOINT_PORTS) {
    const fits = Math.floor((to - from) / ENDPOINTS_PER_SERVER) * ENDPOINTS_PER_SERVER;
    if (offset < fits) return from + offset;
    offset -= fits;
  }
  throw new Error(`no endpoint ports left for test server slot ${slot}`);
}

/**
 * The last lines each server of this test file logged (shown when a test fails: CI keeps no files):
 * the last `lines` of what its parts said (reconciler, engine, hosts, store…), then the last few
 * request lines. A test that polls the API fills a plain tail with its own GETs (a CI failure of the
 * repair test showed 25 of them and nothing of the reconciler).
 */
export function serverLogTails(lines: number): string {
  const parts: string[] = [];
  for (const server of started) {
    const text = readLog(server.logFile) ?? server.keptLog;
    if (!text) continue;
    const { said, requests } = splitLog(text);
    const name = `${server.instance}'s ${server.logFile.split('/').pop()}`;
    parts.push(`--- last ${lines} lines of ${name}, requests left out ---\n${said.slice(-lines).join('\n')}`);
    if (requests.length > 0) parts.push(`--- its last ${REQUEST_LINES} requests (of ${requests.length}) ---\n${requests.slice(-REQUEST_LINES).join('\n')}`);
  }
  return parts.join('\n');
}

const REQUEST_LINES = 5;

/** A server log's lines: one per request the API or the gateway answered, and the rest. */
export function splitLog(text: string): { said: string[]; requests: string[] } {
  const said: string[] = [];
  const requests: string[] = [];
  for (const line of text.trimEnd().split('\n')) {
    // API and gateway request lines carry the request's method and status (src/api, src/gateway).
    if (/"component":"(api|gateway)"/.test(line) && /"method":"/.test(line) && /"status":\d/.test(line)) requests.push(line);
    else said.push(line);
  }
  return { said, requests };
}

function readLog(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** The machine's host engine. */
export const hostDocker = new Dockerode({ socketPath: '/var/run/docker.sock' });

const config = loadConfig();
/**
 * The engine test servers run their nodes on: Carina's userns node engine (the default as root,
 * which the e2e tests run as), or the host engine when CARINA_NODE_ENGINE=host.
 */
export const nodeEngineHost = config.nodeEngine === 'userns' ? config.nodeEngineHost : 'unix:///var/run/docker.sock';
/** A client of nodeEngineHost. */
export const nodeDocker = config.nodeEngine === 'userns' ? new Dockerode({ socketPath: nodeEngineHost.replace(/^unix:\/\//, '') }) : hostDocker;

/** Every engine test objects may be on (the node engine only when it answers: it may not be started yet). */
async function testEngines(): Promise<Dockerode[]> {
  if (nodeDocker === hostDocker) return [hostDocker];
  return (await nodeDocker.ping().then(() => true, () => false)) ? [hostDocker, nodeDocker] : [hostDocker];
}

/** Removes every container, volume and network labelled with `instance`, on every engine. */
export async function purgeInstance(instance: string): Promise<void> {
  const filters = { label: [`carina.instance=${instance}`] };
  for (const docker of await testEngines()) {
    for (const c of await docker.listContainers({ all: true, filters })) await docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined);
    for (const v of (await docker.listVolumes({ filters })).Volumes ?? []) await docker.getVolume(v.Name).remove().catch(() => undefined);
    for (const n of await docker.listNetworks({ filters })) await docker.getNetwork(n.Id).remove().catch(() => undefined);
  }
}

/** Counts the Docker objects that carry a label (e.g. `carina.cluster.id=…`), on every engine. */
export async function countLabelled(label: string): Promise<{ containers: number; volumes: number; networks: number }> {
  const filters = { label: [label] };
  const total = { containers: 0, volumes: 0, networks: 0 };
  for (const docker of await testEngines()) {
    const [c, v, n] = await Promise.all([docker.listContainers({ all: true, filters }), docker.listVolumes({ filters }), docker.listNetworks({ filters })]);
    total.containers += c.length;
    total.volumes += (v.Volumes ?? []).length;
    total.networks += n.length;
  }
  return total;
}

/** Instances of test and benchmark control planes end in the pid of the process that ran them. */
const TEST_INSTANCE = /^(?:e2e|bench)-[a-z0-9-]+-(\d+)$/;

/** Whether a process with this pid runs (as root, which the e2e tests are). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Removes what interrupted earlier test (or benchmark) runs left on the engine: objects of `e2e-*-<pid>` and `bench-*-<pid>` instances
 * whose process is gone (they would hold subnets and names, and come back with the engine because
 * nodes restart unless stopped). Objects of a run still alive are never touched.
 */
export async function purgeStaleTestObjects(log: (line: string) => void): Promise<void> {
  const filters = { label: ['carina.instance'] };
  const stale = new Set<string>();
  for (const docker of await testEngines()) {
    const [c, v, n] = await Promise.all([docker.listContainers({ all: true, filters }), docker.listVolumes({ filters }), docker.listNetworks({ filters })]);
    for (const o of [...c, ...(v.Volumes ?? []), ...n]) {
      const instance = o.Labels?.['carina.instance'] ?? '';
      const pid = TEST_INSTANCE.exec(instance)?.[1];
      if (pid !== undefined && !pidAlive(Number(pid))) stale.add(instance);
    }
  }
  for (const instance of stale) {
    await purgeInstance(instance);
    log(`removed the objects of ${instance}, left by an interrupted test run`);
  }
}
