import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

const ROOT = new URL('../..', import.meta.url).pathname;
/** The CLI entry point as installed (`bin/carina.js` runs dist/src/cli/main.js). */
export const CARINA_BIN = join(ROOT, 'bin/carina.js');

/** What a finished process left behind. */
export interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/** Runs a program with a fixed environment, stdin closed, killed after `timeoutMs`. */
export function runProcess(file: string, args: readonly string[], env: NodeJS.ProcessEnv, opts: { cwd?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { env, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/**
 * A user's machine for the CLI: its own HOME and CARINA_HOME in a temp dir, `carina` on PATH, and
 * an environment holding only PATH, HOME, CARINA_HOME and what a test adds (no CA-bundle
 * variables leaking in from the host, as on a CI runner).
 */
export class CliSandbox {
  readonly dir: string;
  readonly home: string;
  readonly carinaHome: string;
  readonly binDir: string;
  readonly baseEnv: Record<string, string>;

  constructor(name: string, env: Record<string, string> = {}) {
    this.dir = mkdtempSync(join(tmpdir(), `carina-cli-${name}-`));
    this.home = join(this.dir, 'home');
    this.carinaHome = join(this.home, '.carina');
    this.binDir = join(this.dir, 'bin');
    mkdirSync(this.home);
    mkdirSync(this.binDir);
    symlinkSync(CARINA_BIN, join(this.binDir, 'carina'));
    this.baseEnv = {
      PATH: `${this.binDir}${delimiter}${process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin'}`,
      HOME: this.home,
      LANG: 'C.UTF-8',
      ...env,
    };
  }

  /** `carina ARGS…` in this sandbox. */
  carina(args: readonly string[], env: Record<string, string | undefined> = {}, timeoutMs = 120_000): Promise<RunResult> {
    return runProcess(process.execPath, [CARINA_BIN, ...args], this.env(env), { cwd: this.dir, timeoutMs });
  }

  /** Runs a script with `shell` (`bash` gets `set -euo pipefail`) in this sandbox. */
  shell(shell: 'bash' | 'zsh' | 'fish', script: string, env: Record<string, string | undefined> = {}, timeoutMs = 120_000): Promise<RunResult> {
    const args = shell === 'bash' ? ['-c', `set -euo pipefail\n${script}`] : shell === 'zsh' ? ['-f', '-c', script] : ['--no-config', '-c', script];
    return runProcess(shell, args, this.env(env), { cwd: this.dir, timeoutMs });
  }

  /** The sandbox environment plus `extra` (undefined values remove a variable). */
  env(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...this.baseEnv };
    for (const [k, v] of Object.entries(extra)) {
      if (v === undefined) delete env[k];
      else env[k] = v;
    }
    return env;
  }

  async cleanup(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** Stops a test server, removes its Docker objects and then its data directory. */
export async function disposeServer(server: { cleanup(): Promise<void>; readonly dataDir: string }): Promise<void> {
  await server.cleanup();
  await rm(server.dataDir, { recursive: true, force: true });
}

/** Whether `program` is on PATH. */
export async function onPath(program: string): Promise<boolean> {
  const r = await runProcess('sh', ['-c', `command -v ${program}`], { PATH: process.env.PATH ?? '/usr/bin:/bin' });
  return r.code === 0;
}

/** A TCP port that accepts connections and never answers (a hung server), and a port nothing listens on. */
export async function silentServer(): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => void sockets.add(s));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A port on 127.0.0.1 with nothing listening (bound then released). */
export async function closedPort(): Promise<number> {
  const { port, close } = await silentServer();
  await close();
  return port;
}

/** Collapses a table row's runs of blanks to two spaces: `demo  container1-4G  2  false  active`. */
export function rowOf(table: string, name: string): string | undefined {
  return table
    .split('\n')
    .find((l) => l.startsWith(`${name} `))
    ?.trim()
    .split(/\s+/)
    .join('  ');
}
