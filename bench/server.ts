import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type Dockerode from 'dockerode';
import { benchInstance, purgeInstance } from './docker.js';
import type { Guard } from './guard.js';
import { processMemory } from './machine.js';
import { launcherNodeFlags } from '../test/support/launcher.js';

const run = promisify(execFile);
const ROOT = new URL('..', import.meta.url).pathname;
const SERVER = join(ROOT, 'bin/carina-server.js');
/**
 * Node options for the control plane under test, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` or
 * `--heap-prof` (BENCH_SERVER_NODE_ARGS, split on spaces): NODE_OPTIONS refuses the profilers.
 */
const PROFILE_ARGS = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');

/** In a benchmark control plane's data dir: the pid of its `carina-server up`. */
export const SERVER_PID_FILE = 'bench-server.pid';

/** Node networks of benchmark planes come from their own pool, apart from the default and the e2e tests'. */
export const BENCH_SUBNET_POOL = '10.215.0.0/16';

/** A free TCP port on 127.0.0.1 (asked of the kernel). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface BenchServerOptions {
  /** Scenario name: part of the data dir, the instance label and the log name. */
  readonly name: string;
  /** Host ports for cluster endpoints (one per cluster). */
  readonly portRange: { readonly from: number; readonly to: number };
  /** Directory the server log is copied into (kept after the data dir is removed). */
  readonly logDir: string;
  readonly extraEnv?: Record<string, string>;
}

/**
 * A real `carina-server up` in a child process, like test/support/server.ts's TestServer, but with
 * any port range, its pid exposed (for RSS), and registered with the Guard so Ctrl-C, the time
 * limit or a failure still removes its process, Docker objects and data dir.
 */
export class BenchServer {
  readonly dataDir: string;
  readonly instance: string;
  readonly env: NodeJS.ProcessEnv;
  readonly logFile: string;
  url = '';
  #child: ChildProcess | undefined;
  #cleanup: (() => Promise<void>) | undefined;

  constructor(
    readonly options: BenchServerOptions,
    readonly docker: Dockerode,
    readonly guard: Guard,
  ) {
    this.dataDir = mkdtempSync(join(tmpdir(), `carina-bench-${process.pid}-${options.name}-`));
    this.instance = benchInstance(options.name);
    mkdirSync(options.logDir, { recursive: true });
    this.logFile = join(options.logDir, `${options.name}.server.log`);
    this.env = {
      ...process.env,
      CARINA_DATA_DIR: this.dataDir,
      CARINA_PORT_RANGE: `${options.portRange.from}-${options.portRange.to}`,
      CARINA_INSTANCE: this.instance,
      CARINA_NODE_SUBNET_POOL: BENCH_SUBNET_POOL,
      // Cold creates unless a scenario asks for the warm pool (lifecycle's warm creates do).
      CARINA_WARM_POOL: '0',
      ...options.extraEnv,
    };
    this.#cleanup = guard.defer(`control plane ${this.instance}`, () => this.#destroy());
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** VmRSS / VmHWM of the server process. */
  memory(): { rssBytes: number; hwmBytes: number } | undefined {
    return this.pid === undefined ? undefined : processMemory(this.pid);
  }

  /** `carina-server ARGS…` against this server's data dir. */
  async admin(...args: string[]): Promise<string> {
    const { stdout } = await run(process.execPath, [SERVER, ...args], { env: this.env, timeout: 60_000 });
    return stdout;
  }

  /** Creates an account and returns its API key. */
  async createAccount(name: string, ...flags: string[]): Promise<string> {
    const out = await this.admin('accounts', 'create', name, ...flags);
    const key = out.trim().split('\n').pop();
    if (!key?.startsWith('carina_')) throw new Error(`unexpected output of accounts create: ${out}`);
    return key;
  }

  /**
   * Starts `carina-server up`, waits for /healthz and for the node images to be ready (so no create
   * waits for them; `waitForImages: false` for a standby replica, which does not build them).
   */
  async start(options: { readonly waitForImages?: boolean } = {}): Promise<void> {
    const port = await freePort();
    this.url = `http://127.0.0.1:${port}`;
    const log = openSync(this.logFile, 'a');
    this.#child = spawn(process.execPath, [...launcherNodeFlags(SERVER), ...PROFILE_ARGS, SERVER, 'up'], { env: { ...this.env, CARINA_LISTEN: `127.0.0.1:${port}` }, stdio: ['ignore', log, log] });
    closeSync(log);
    const child = this.#child;
    // If this benchmark is killed outright, the next run finds and stops this process by this file.
    if (child.pid !== undefined) writeFileSync(join(this.dataDir, SERVER_PID_FILE), `${child.pid}\n`);
    const exited = (): void => {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`carina-server exited (${child.exitCode ?? child.signalCode}); see ${this.logFile}`);
    };
    const deadline = Date.now() + 60_000;
    for (;;) {
      exited();
      if (Date.now() > deadline) throw new Error(`carina-server did not answer within 60 s; see ${this.logFile}`);
      const ok = await fetch(`${this.url}/healthz`).then((r) => r.ok, () => false);
      if (ok) break;
      await this.guard.sleep(100);
    }
    // The control plane builds or finds the images in the background at start-up, then saves the workload image.
    if (options.waitForImages === false) return;
    const images = join(this.dataDir, 'images');
    const imagesDeadline = Date.now() + 15 * 60_000;
    while (!(existsSync(images) && readdirSync(images).some((f) => /^carina-busybox-.*\.tar$/.test(f)))) {
      exited();
      if (Date.now() > imagesDeadline) throw new Error(`the node images were not ready within 15 min; see ${this.logFile}`);
      await this.guard.sleep(200);
    }
  }

  /**
   * Stops the process: SIGKILL (the objects are purged anyway), or, when it is profiled
   * (BENCH_SERVER_NODE_ARGS), SIGTERM first so Node writes the profile as it exits (SIGKILL after 30 s).
   */
  async kill(): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    if (PROFILE_ARGS.length > 0) {
      child.kill('SIGTERM');
      const late = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(late);
      return;
    }
    child.kill('SIGKILL');
    await exited;
  }

  /** Kills the process, removes its Docker objects and its data dir. */
  async cleanup(): Promise<void> {
    const c = this.#cleanup;
    this.#cleanup = undefined;
    await c?.();
  }

  async #destroy(): Promise<void> {
    await this.kill();
    await purgeInstance(this.docker, this.instance);
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
