import { execFile, spawn } from 'node:child_process';
import { closeSync, existsSync, fchmodSync, mkdirSync, openSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { EngineError } from '../core/errors.js';
import { clearStalePidfile } from './pidfile.js';

/** Result of a finished command. */
export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The few process operations host set-up needs; injected so the decisions can be tested without a machine. */
export interface CommandRunner {
  /** Runs a command to completion; `env` is added to the inherited environment. Rejects only when it cannot start. */
  readonly run: (command: string, args: readonly string[], options?: { env?: Record<string, string> }) => Promise<CommandResult>;
  /** Whether a command is found on PATH. */
  readonly onPath: (command: string) => Promise<boolean>;
  /** Starts a long-lived process in its own session, stdout and stderr appended to `logFile` (0600); resolves once spawned. */
  readonly startDetached: (command: string, args: readonly string[], logFile: string) => Promise<void>;
}

/** What host set-up achieved: a reachable engine, or commands the user must run. */
export type SetupOutcome =
  | { readonly kind: 'ready'; readonly started: boolean }
  | { readonly kind: 'manual'; readonly instructions: string };

/** Inputs of ensureHostEngine. */
export interface HostSetupOptions {
  readonly dockerHost: string | undefined;
  readonly dataDir: string;
  readonly log: (line: string) => void;
  readonly isRoot: boolean;
  readonly isDebian: boolean;
  readonly run: CommandRunner;
  readonly ping: () => Promise<boolean>;
  /** How long to wait for a started engine to answer (default 60 s). */
  readonly readyTimeoutMs?: number;
  /** Removes a stale pidfile before dockerd starts (default: clearStalePidfile on the real files). */
  readonly clearPidfile?: (path: string, name: string) => boolean;
}

/** The engine socket Carina starts and talks to when DOCKER_HOST is unset. */
export const DEFAULT_DOCKER_SOCKET = 'unix:///var/run/docker.sock';

/** Debian packages that provide each command Carina needs on the host. */
export const HOST_PACKAGES: ReadonlyArray<readonly [command: string, pkg: string]> = Object.freeze([
  ['dockerd', 'docker.io'],
  ['debootstrap', 'debootstrap'],
  ['busybox', 'busybox-static'],
  // The private registry (Docker Distribution 2.8); Carina runs it with its own configuration (docs/registry.md).
  ['docker-registry', 'docker-registry'],
  // Per-container /proc files, so a node's `docker info` shows its flavor's memory, not the host's; without
  // FUSE (/dev/fuse) it cannot serve and nodes report the host's memory (logged at start).
  ['lxcfs', 'lxcfs'],
]);

const POLL_MS = 100;
const CONTAINERD_PIDFILE = '/var/run/docker/containerd/containerd.pid';
// /var/run is a symlink to /run on Debian: both name the socket Carina would start.
const LOCAL_SOCKETS = new Set([DEFAULT_DOCKER_SOCKET, 'unix:///run/docker.sock']);

/** Makes sure a Docker engine answers: reuses a running one, or (root on Debian) installs and starts one. Idempotent. */
export async function ensureHostEngine(opts: HostSetupOptions): Promise<SetupOutcome> {
  if (await opts.ping()) return { kind: 'ready', started: false };
  if (opts.dockerHost !== undefined && opts.dockerHost !== '' && !LOCAL_SOCKETS.has(opts.dockerHost)) {
    return {
      kind: 'manual',
      instructions:
        `No Docker engine answers at DOCKER_HOST=${opts.dockerHost}. Carina only starts a local engine at ${DEFAULT_DOCKER_SOCKET}.\n` +
        `Start the engine at ${opts.dockerHost}, or unset DOCKER_HOST to let Carina start a local one.`,
    };
  }
  if (!opts.isDebian || !opts.isRoot) return { kind: 'manual', instructions: manualInstructions(opts) };

  const missing = [];
  for (const [command, pkg] of HOST_PACKAGES) if (!(await opts.run.onPath(command))) missing.push(pkg);
  if (missing.length > 0) {
    opts.log(`installing ${missing.join(' ')} with apt-get (about 30 s)…`);
    const env = { DEBIAN_FRONTEND: 'noninteractive' };
    await mustSucceed(opts.run, 'apt-get', ['update'], env);
    await mustSucceed(opts.run, 'apt-get', ['install', '-y', ...missing], env);
  }

  const logFile = join(opts.dataDir, 'dockerd.log');
  opts.log(`starting dockerd at ${DEFAULT_DOCKER_SOCKET} (log: ${logFile})…`);
  await launchDockerd(opts, {
    command: 'dockerd',
    args: dockerdArgs(opts.dataDir),
    logFile,
    socket: DEFAULT_DOCKER_SOCKET,
    // dockerd's own containerd (exec root /var/run/docker): a stale pidfile makes dockerd wait for it in vain.
    pidfiles: [[join(opts.dataDir, 'dockerd.pid'), 'dockerd'], [CONTAINERD_PIDFILE, 'containerd']],
  });
  return { kind: 'ready', started: true };
}

/** One dockerd to start: the command line (dockerd, or nsenter … dockerd), its log, socket and pidfiles. */
export interface DockerdLaunch {
  readonly command: string;
  readonly args: readonly string[];
  readonly logFile: string;
  readonly socket: string;
  /** Pidfiles (and the process name each must name) removed first if stale: dockerd refuses to start, or waits in vain, otherwise. */
  readonly pidfiles: ReadonlyArray<readonly [path: string, name: string]>;
}

/** Starts a dockerd detached and waits until `ping` answers (an EngineError naming the log otherwise). */
export async function launchDockerd(
  opts: Pick<HostSetupOptions, 'log' | 'run' | 'ping' | 'readyTimeoutMs' | 'clearPidfile'>,
  launch: DockerdLaunch,
): Promise<void> {
  const clear = opts.clearPidfile ?? clearStalePidfile;
  for (const [path, name] of launch.pidfiles) {
    if (clear(path, name)) opts.log(`removed the pidfile of a ${name} that is no longer running (${path})`);
  }
  try {
    await opts.run.startDetached(launch.command, launch.args, launch.logFile);
  } catch (cause) {
    throw new EngineError(`start dockerd (see ${launch.logFile})`, cause);
  }
  const timeoutMs = opts.readyTimeoutMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    if (await opts.ping()) return;
  }
  throw new EngineError('start dockerd', `the engine did not answer at ${launch.socket} within ${Math.round(timeoutMs / 1000)} s; read ${launch.logFile}`);
}

/** Whether this machine runs Debian (or a derivative): /etc/debian_version exists. */
export function isDebianHost(path = '/etc/debian_version'): boolean {
  return existsSync(path);
}

/** The CommandRunner over node:child_process. */
export function childProcessRunner(): CommandRunner {
  return {
    run: (command, args, options) =>
      new Promise((resolve, reject) => {
        const env = options?.env === undefined ? undefined : { ...process.env, ...options.env };
        execFile(command, [...args], { env, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
          const code = (error as { code?: unknown } | null)?.code;
          if (typeof code === 'string') reject(error ?? new Error(code)); // spawn failure, e.g. ENOENT
          else resolve({ code: typeof code === 'number' ? code : error ? 1 : 0, stdout, stderr });
        });
      }),
    onPath: (command) =>
      new Promise((resolve) => {
        execFile('sh', ['-c', 'command -v "$1"', 'sh', command], (error) => resolve(error === null));
      }),
    startDetached: (command, args, logFile) => {
      mkdirSync(dirname(logFile), { recursive: true, mode: 0o700 });
      const fd = openSync(logFile, 'a', 0o600);
      try {
        fchmodSync(fd, 0o600); // also a log an older version left readable: what daemons log is the host's business
        const child = spawn(command, [...args], { detached: true, stdio: ['ignore', fd, fd] });
        return new Promise<void>((resolve, reject) => {
          child.once('error', reject);
          child.once('spawn', () => {
            child.unref();
            resolve();
          });
        });
      } finally {
        closeSync(fd);
      }
    },
  };
}

function dockerdArgs(dataDir: string): string[] {
  return ['--host', DEFAULT_DOCKER_SOCKET, '--pidfile', join(dataDir, 'dockerd.pid')];
}

function manualInstructions(opts: HostSetupOptions): string {
  const packages = HOST_PACKAGES.map(([, pkg]) => pkg).join(' ');
  const start = `dockerd ${dockerdArgs(opts.dataDir).join(' ')} >> ${join(opts.dataDir, 'dockerd.log')} 2>&1 &`;
  if (!opts.isDebian) {
    return [
      `No Docker engine answers at ${DEFAULT_DOCKER_SOCKET}, and Carina installs one itself only on Debian.`,
      'Install Docker Engine for your distribution (https://docs.docker.com/engine/install/), plus debootstrap',
      'and a statically linked busybox at /bin/busybox, start the engine, then run Carina again.',
    ].join('\n');
  }
  return [
    `No Docker engine answers at ${DEFAULT_DOCKER_SOCKET}, and Carina is not running as root, so it cannot start one.`,
    'Run as root:',
    `  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y ${packages}`,
    `  mkdir -p ${opts.dataDir} && ${start}`,
    'then give your user access to the engine (usermod -aG docker "$USER", then log in again) and run Carina again.',
  ].join('\n');
}

/** Runs a command that must succeed; an EngineError with the tail of its output otherwise. */
export async function mustSucceed(run: CommandRunner, command: string, args: string[], env: Record<string, string>): Promise<void> {
  const operation = `${command} ${args.join(' ')}`;
  let result: CommandResult;
  try {
    result = await run.run(command, args, { env });
  } catch (cause) {
    throw new EngineError(operation, cause);
  }
  if (result.code !== 0) {
    const tail = (result.stderr.trim() || result.stdout.trim()).split('\n').slice(-3).join(' / ');
    throw new EngineError(operation, `exited with code ${result.code}: ${tail || 'no output'}; run it by hand to see why`);
  }
}
