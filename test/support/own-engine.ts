import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import Dockerode from 'dockerode';

const run = promisify(execFile);

/**
 * A Docker engine of the test's own, in its own network namespace (so its iptables rules and
 * restarts never touch the machine's main engine), with its own data and exec roots.
 */
export class OwnEngine {
  readonly dir = mkdtempSync(join(tmpdir(), 'carina-e2e-engine-'));
  readonly socket = join(this.dir, 'docker.sock');
  readonly netns = `carina-e2e-${process.pid}`;
  readonly docker = new Dockerode({ socketPath: this.socket });
  #child: ChildProcess | undefined;

  /** `userns`: started with --userns-remap=default, as Carina's node engine is. */
  constructor(readonly options: { userns?: boolean } = {}) {}

  async create(): Promise<void> {
    await run('ip', ['netns', 'add', this.netns]);
    await run('ip', ['netns', 'exec', this.netns, 'ip', 'link', 'set', 'lo', 'up']);
    await this.start();
  }

  async start(): Promise<void> {
    mkdirSync(join(this.dir, 'data'), { recursive: true });
    // A remapping dockerd refuses a data root its remapped root cannot traverse (mkdtemp makes 0700).
    if (this.options.userns) chmodSync(this.dir, 0o711);
    const log = openSync(join(this.dir, 'dockerd.log'), 'a');
    // nsenter switches only the network namespace (`ip netns exec` would also remount /sys and hide the cgroups).
    this.#child = spawn(
      'nsenter',
      [`--net=/run/netns/${this.netns}`, 'dockerd', '--host', `unix://${this.socket}`, '--data-root', join(this.dir, 'data'), '--exec-root', join(this.dir, 'exec'), '--pidfile', join(this.dir, 'dockerd.pid'), ...(this.options.userns ? ['--userns-remap=default'] : [])],
      { stdio: ['ignore', log, log] },
    );
    for (let i = 0; i < 300; i++) {
      if (await this.docker.ping().then(() => true, () => false)) return;
      await sleep(100);
    }
    throw new Error(`own dockerd did not answer; see ${this.dir}/dockerd.log`);
  }

  /** Stops the engine as a host shutdown would (SIGTERM, wait for exit). */
  async stop(): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await Promise.race([exited, sleep(30_000).then(() => child.kill('SIGKILL'))]);
  }

  /** Copies images from the machine's main engine (no registry can be pulled from). */
  async copyImages(from: Dockerode, refs: string[]): Promise<void> {
    for (const ref of refs) {
      const stream = await from.getImage(ref).get();
      const out = await this.docker.loadImage(stream);
      await new Promise((resolve, reject) => {
        out.on('data', () => undefined);
        out.on('end', resolve);
        out.on('error', reject);
      });
    }
  }

  async destroy(): Promise<void> {
    try {
      for (const c of await this.docker.listContainers({ all: true })) await this.docker.getContainer(c.Id).remove({ force: true, v: true });
    } catch {
      /* engine already gone */
    }
    await this.stop();
    // A shim whose containerd went down with the engine stays behind otherwise (pkill exits 1 when none is left).
    await run('pkill', ['-f', `containerd-shim.* -address ${this.dir}/`]).catch(() => undefined);
    await run('ip', ['netns', 'delete', this.netns]).catch(() => undefined);
    await run('rm', ['-rf', '--one-file-system', this.dir]).catch(() => undefined);
  }
}
