import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EngineError } from '../core/errors.js';
import { childProcessRunner, ensureHostEngine, type CommandResult, type CommandRunner, type HostSetupOptions } from './host-setup.js';

interface Call {
  readonly kind: 'run' | 'start';
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: Record<string, string> | undefined;
  readonly logFile?: string;
}

/** A fake machine: which commands exist, what apt-get answers, and when the engine starts answering. */
function fakeHost(over: { installed?: string[]; aptCode?: number; answersAfterStart?: number; up?: boolean } = {}) {
  const calls: Call[] = [];
  const installed = new Set(over.installed ?? []);
  let started = false;
  let pingsAfterStart = 0;
  const run: CommandRunner = {
    run: (command, args, options): Promise<CommandResult> => {
      calls.push({ kind: 'run', command, args, env: options?.env });
      return Promise.resolve({ code: over.aptCode ?? 0, stdout: '', stderr: over.aptCode ? 'E: Unable to locate package\n' : '' });
    },
    onPath: (command) => Promise.resolve(installed.has(command)),
    startDetached: (command, args, logFile) => {
      calls.push({ kind: 'start', command, args, logFile });
      started = true;
      return Promise.resolve();
    },
  };
  const ping = (): Promise<boolean> => {
    if (over.up) return Promise.resolve(true);
    if (!started) return Promise.resolve(false);
    pingsAfterStart += 1;
    return Promise.resolve(pingsAfterStart >= (over.answersAfterStart ?? 1));
  };
  const lines: string[] = [];
  const pidfiles: string[] = [];
  const opts: HostSetupOptions = {
    clearPidfile: (path, name) => {
      pidfiles.push(`${name} ${path}`);
      return false;
    },
    dockerHost: undefined,
    dataDir: '/var/lib/carina',
    log: (l) => lines.push(l),
    isRoot: true,
    isDebian: true,
    run,
    ping,
  };
  return { calls, lines, opts, pidfiles };
}

describe('ensureHostEngine', () => {
  it('does nothing when an engine already answers', async () => {
    const host = fakeHost({ up: true });
    await expect(ensureHostEngine({ ...host.opts, isRoot: false, isDebian: false })).resolves.toEqual({ kind: 'ready', started: false });
    expect(host.calls).toEqual([]);
  });

  it('starts dockerd without installing anything when the packages are present', async () => {
    const host = fakeHost({ installed: ['dockerd', 'debootstrap', 'busybox', 'docker-registry', 'lxcfs'] });
    await expect(ensureHostEngine(host.opts)).resolves.toEqual({ kind: 'ready', started: true });
    expect(host.calls).toEqual([
      {
        kind: 'start',
        command: 'dockerd',
        args: ['--host', 'unix:///var/run/docker.sock', '--pidfile', '/var/lib/carina/dockerd.pid'],
        logFile: '/var/lib/carina/dockerd.log',
      },
    ]);
    // Before the start: stale pidfiles of a killed dockerd and its containerd would stop it.
    expect(host.pidfiles).toEqual(['dockerd /var/lib/carina/dockerd.pid', 'containerd /var/run/docker/containerd/containerd.pid']);
  });

  it('installs the missing packages non-interactively, then starts dockerd', async () => {
    const host = fakeHost({ installed: ['busybox', 'docker-registry', 'lxcfs'] });
    await expect(ensureHostEngine(host.opts)).resolves.toEqual({ kind: 'ready', started: true });
    const env = { DEBIAN_FRONTEND: 'noninteractive' };
    expect(host.calls.map((c) => [c.kind, c.command, ...c.args])).toEqual([
      ['run', 'apt-get', 'update'],
      ['run', 'apt-get', 'install', '-y', 'docker.io', 'debootstrap'],
      ['start', 'dockerd', '--host', 'unix:///var/run/docker.sock', '--pidfile', '/var/lib/carina/dockerd.pid'],
    ]);
    expect(host.calls.filter((c) => c.kind === 'run').every((c) => JSON.stringify(c.env) === JSON.stringify(env))).toBe(true);
    expect(host.lines.some((l) => l.includes('installing docker.io debootstrap'))).toBe(true);
  });

  it('fails with the apt-get error when installation fails', async () => {
    const host = fakeHost({ aptCode: 100 });
    const error = await ensureHostEngine(host.opts).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngineError);
    expect((error as Error).message).toMatch(/apt-get update: exited with code 100: E: Unable to locate package/);
    expect(host.calls.some((c) => c.kind === 'start')).toBe(false);
  });

  it('points to dockerd.log when the started engine never answers', async () => {
    const host = fakeHost({ installed: ['dockerd', 'debootstrap', 'busybox', 'docker-registry', 'lxcfs'], answersAfterStart: Number.POSITIVE_INFINITY });
    const error = await ensureHostEngine({ ...host.opts, readyTimeoutMs: 250 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngineError);
    expect((error as Error).message).toContain('read /var/lib/carina/dockerd.log');
  });

  it('treats DOCKER_HOST naming the default socket like an unset one', async () => {
    const host = fakeHost({ installed: ['dockerd', 'debootstrap', 'busybox', 'docker-registry', 'lxcfs'] });
    const outcome = await ensureHostEngine({ ...host.opts, dockerHost: 'unix:///var/run/docker.sock' });
    expect(outcome).toEqual({ kind: 'ready', started: true });
  });

  it('never starts an engine when DOCKER_HOST points elsewhere', async () => {
    const host = fakeHost({ installed: ['dockerd', 'debootstrap', 'busybox', 'docker-registry', 'lxcfs'] });
    const outcome = await ensureHostEngine({ ...host.opts, dockerHost: 'tcp://10.0.0.5:2376' });
    expect(outcome.kind).toBe('manual');
    expect(outcome.kind === 'manual' && outcome.instructions).toContain('DOCKER_HOST=tcp://10.0.0.5:2376');
    expect(host.calls).toEqual([]);
  });

  it('gives root commands to a non-root user on Debian instead of running them', async () => {
    const host = fakeHost();
    const outcome = await ensureHostEngine({ ...host.opts, isRoot: false });
    expect(outcome.kind).toBe('manual');
    const text = outcome.kind === 'manual' ? outcome.instructions : '';
    expect(text).toContain('apt-get install -y docker.io debootstrap busybox-static docker-registry lxcfs');
    expect(text).toContain('dockerd --host unix:///var/run/docker.sock --pidfile /var/lib/carina/dockerd.pid >> /var/lib/carina/dockerd.log');
    expect(host.calls).toEqual([]);
  });

  it('gives generic instructions on other distributions, even as root', async () => {
    const host = fakeHost();
    const outcome = await ensureHostEngine({ ...host.opts, isDebian: false });
    expect(outcome.kind === 'manual' && outcome.instructions).toContain('Install Docker Engine for your distribution');
    expect(host.calls).toEqual([]);
  });
});

describe('childProcessRunner.startDetached', () => {
  const mode = (path: string) => statSync(path).mode & 0o777;
  const logged = async (path: string, text: string) => {
    for (let i = 0; i < 200 && !readFileSync(path, 'utf8').includes(text); i++) await new Promise((r) => setTimeout(r, 10));
    return readFileSync(path, 'utf8');
  };

  it("appends a daemon's output to a log only its user can read, also one an older version left readable", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'carina-logs-')), 'data');
    const fresh = join(dir, 'dockerd.log');
    await childProcessRunner().startDetached('sh', ['-c', 'echo started'], fresh);
    expect([mode(dir), mode(fresh)]).toEqual([0o700, 0o600]);
    expect(await logged(fresh, 'started')).toBe('started\n');
    const old = join(dir, 'lxcfs.log');
    writeFileSync(old, 'before\n', { mode: 0o644 });
    await childProcessRunner().startDetached('sh', ['-c', 'echo after'], old);
    expect(mode(old)).toBe(0o600);
    expect(await logged(old, 'after')).toBe('before\nafter\n');
  });
});
