import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, fchmodSync, openSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { processInfo } from './pidfile.js';

/** Debian's package installs the registry as this program (Docker Distribution 2.8). */
export const REGISTRY_BINARY = '/usr/bin/docker-registry';

/** Where the leader writes the registry's configuration in a data dir. */
export function registryConfigFile(dataDir: string): string {
  return join(dataDir, 'registry.yml');
}

/** Whether the registry program is installed. */
export function registryInstalled(binary = REGISTRY_BINARY): boolean {
  return existsSync(binary);
}

/** What the registry's configuration says. */
export interface RegistryProcessSettings {
  readonly storageDir: string;
  readonly backendPort: number;
  /** Where clients get tokens: `https://ADDRESS/token` (served by Carina's front, docs/registry.md). */
  readonly realm: string;
  readonly service: string;
  readonly issuer: string;
  /** The certificate bundle whose keys sign tokens. */
  readonly tokenCertFile: string;
  /** Signs upload state between requests; kept across restarts so pushes in progress survive one. */
  readonly httpSecret: string;
}

/**
 * The docker-registry configuration. Only on loopback: everything reaches it through Carina's front
 * (TLS, quotas, read-only windows). No blob descriptor cache: after garbage collection it would
 * answer that deleted blobs still exist, and pushes would skip uploading them.
 */
export function registryConfigYaml(s: RegistryProcessSettings): string {
  const q = (v: string) => JSON.stringify(v); // YAML accepts JSON strings
  return [
    'version: 0.1',
    'log:',
    '  level: info',
    '  formatter: text',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${q(s.storageDir)}`,
    '  delete:',
    '    enabled: true',
    '  maintenance:',
    '    uploadpurging:',
    '      enabled: true',
    '      age: 24h',
    '      interval: 1h',
    '      dryrun: false',
    'http:',
    `  addr: ${q(`127.0.0.1:${s.backendPort}`)}`,
    `  secret: ${q(s.httpSecret)}`,
    '  headers:',
    '    X-Content-Type-Options: [nosniff]',
    'auth:',
    '  token:',
    `    realm: ${q(s.realm)}`,
    `    service: ${q(s.service)}`,
    `    issuer: ${q(s.issuer)}`,
    `    rootcertbundle: ${q(s.tokenCertFile)}`,
    '',
  ].join('\n');
}

/** Inputs of RegistryProcess. */
export interface RegistryProcessOptions {
  readonly dataDir: string;
  readonly settings: Omit<RegistryProcessSettings, 'httpSecret'>;
  readonly log: (line: string) => void;
  readonly binary?: string;
}

/**
 * The docker-registry process: started detached (it outlives a crashed control plane, and the next
 * one adopts it, as dockerd), its pid and configuration hash in `registry.pid`. A configuration
 * that changed restarts it.
 */
export class RegistryProcess {
  readonly #opts: RegistryProcessOptions;
  readonly configFile: string;
  readonly #pidFile: string;
  readonly #logFile: string;

  constructor(opts: RegistryProcessOptions) {
    this.#opts = opts;
    this.configFile = registryConfigFile(opts.dataDir);
    this.#pidFile = join(opts.dataDir, 'registry.pid');
    this.#logFile = join(opts.dataDir, 'registry.log');
  }

  get binary(): string {
    return this.#opts.binary ?? REGISTRY_BINARY;
  }

  get backendUrl(): string {
    return `http://127.0.0.1:${this.#opts.settings.backendPort}`;
  }

  async #secret(): Promise<string> {
    const file = join(this.#opts.dataDir, 'registry-http-secret');
    try {
      return (await readFile(file, 'utf8')).trim();
    } catch {
      const secret = randomBytes(32).toString('base64url');
      await writeFile(file, secret, { mode: 0o600, flag: 'wx' }).catch(() => undefined);
      return (await readFile(file, 'utf8')).trim();
    }
  }

  async #running(): Promise<{ pid: number; hash: string } | undefined> {
    const [pidText = '', hash = ''] = (await readFile(this.#pidFile, 'utf8').catch(() => '')).split('\n');
    const pid = Number(pidText);
    if (!Number.isInteger(pid) || pid <= 0) return undefined;
    const p = processInfo(pid);
    return p && p.state !== 'Z' && p.comm.startsWith('docker-registry') ? { pid, hash } : undefined;
  }

  /** Whether the registry answers on its loopback port (401 without a token is an answer). */
  async answers(): Promise<boolean> {
    try {
      const r = await fetch(`${this.backendUrl}/v2/`, { signal: AbortSignal.timeout(1_000) });
      return r.status === 401 || r.status === 200;
    } catch {
      return false;
    }
  }

  /** Starts the registry, or adopts the one already running with this configuration; waits until it answers. */
  async ensure(): Promise<void> {
    await mkdir(this.#opts.settings.storageDir, { recursive: true, mode: 0o700 });
    const yaml = registryConfigYaml({ ...this.#opts.settings, httpSecret: await this.#secret() });
    const hash = createHash('sha256').update(yaml).digest('hex').slice(0, 16);
    const running = await this.#running();
    if (running && running.hash === hash && (await this.answers())) return;
    if (running) {
      this.#opts.log(`restarting the registry (pid ${running.pid}): ${running.hash === hash ? 'it does not answer' : 'its configuration changed'}`);
      await this.#stopPid(running.pid);
    }
    await writeFile(this.configFile, yaml, { mode: 0o600 });
    const fd = openSync(this.#logFile, 'a', 0o600);
    let pid: number | undefined;
    try {
      fchmodSync(fd, 0o600);
      const child = spawn(this.binary, ['serve', this.configFile], { detached: true, stdio: ['ignore', fd, fd] });
      pid = await new Promise<number>((resolve, reject) => {
        child.once('error', reject);
        child.once('spawn', () => {
          child.unref();
          resolve(child.pid ?? 0);
        });
      });
    } finally {
      closeSync(fd);
    }
    await writeFile(this.#pidFile, `${pid}\n${hash}\n`, { mode: 0o600 });
    for (let i = 0; i < 100; i++) {
      if (await this.answers()) {
        this.#opts.log(`registry started (pid ${pid}, storage ${this.#opts.settings.storageDir}, log ${this.#logFile})`);
        return;
      }
      if (!processInfo(pid)) break;
      await sleep(100);
    }
    throw new Error(`the registry did not answer on ${this.backendUrl}: see ${this.#logFile}`);
  }

  async #stopPid(pid: number): Promise<void> {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      return;
    }
    for (let i = 0; i < 50 && processInfo(pid) && processInfo(pid)?.state !== 'Z'; i++) await sleep(100);
    if (processInfo(pid) && processInfo(pid)?.state !== 'Z') process.kill(pid, 'SIGKILL');
  }

  /** Stops the registry (a leader standing down, or a clean stop). */
  async stop(): Promise<void> {
    const running = await this.#running();
    if (running) await this.#stopPid(running.pid);
    await rm(this.#pidFile, { force: true });
  }

  /** Garbage collection with this registry's configuration (see collectRegistryGarbage). */
  garbageCollect(): Promise<{ output: string }> {
    return collectRegistryGarbage(this.configFile, this.binary);
  }
}

/**
 * Garbage collection (`docker-registry garbage-collect --delete-untagged CONFIG`): removes manifests
 * no tag names and blobs no manifest references. The caller makes sure nothing writes meanwhile.
 */
export async function collectRegistryGarbage(configFile: string, binary = REGISTRY_BINARY): Promise<{ output: string }> {
  const child = spawn(binary, ['garbage-collect', '--delete-untagged', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  if (code !== 0) throw new Error(`garbage collection failed (exit ${code}): ${output.trim().split('\n').slice(-3).join(' | ')}`);
  return { output };
}
