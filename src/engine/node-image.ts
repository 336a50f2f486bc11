import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { chmod, mkdir, readFile, readdir, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type Dockerode from 'dockerode';
import { pack, type Pack, type PackOptions } from 'tar-fs';
import { CarinaError, EngineError } from '../core/errors.js';

/** The node container's entrypoint: makes the cgroup v1 controllers writable, then runs the inner dockerd. */
export const NODE_ENTRYPOINT = `#!/bin/sh
# Carina node: cgroup v1 controllers are mounted read-only under --cgroupns private;
# remount them read-write so the inner engine can limit nested containers.
set -e
mount -o remount,bind,rw /sys/fs/cgroup 2>/dev/null || true
for d in /sys/fs/cgroup/*/; do mount -o remount,bind,rw "$d" 2>/dev/null || true; done
# A restarted node keeps its filesystem: clear the previous run's pid files and runtime state,
# or dockerd refuses to start ("pid file found").
rm -rf /run/docker.pid /run/docker /run/carina/docker.sock
mkdir -p /run/carina
# A node built ahead of its cluster (the warm pool) is named after the cluster later: the name is kept here.
if [ -s /run/carina/hostname ]; then hostname "$(cat /run/carina/hostname)"; fi
exec dockerd --host unix:///run/carina/docker.sock "$@"
`;

/** Where the node image holds NODE_ENTRYPOINT; also its ENTRYPOINT. */
export const NODE_ENTRYPOINT_PATH = '/usr/local/bin/carina-node';

/** Everything that determines the node image; its hash is the image tag. */
export interface NodeRecipe {
  readonly version: number;
  readonly suite: string;
  readonly variant: string;
  readonly packages: readonly string[];
  readonly entrypoint: string;
}

/** The node image Carina builds: a minimal Debian bookworm with Debian's Docker engine. */
export const NODE_RECIPE: NodeRecipe = Object.freeze({
  version: 1,
  suite: 'bookworm',
  variant: 'minbase',
  packages: Object.freeze(['docker.io', 'iptables', 'ca-certificates', 'procps', 'iproute2']),
  entrypoint: NODE_ENTRYPOINT,
});

/** Bump when the workload image's layout changes (the busybox binary's hash covers its content). */
export const WORKLOAD_RECIPE_VERSION = 1;

/** Repository of the workload image; nodes also know it as `carina/busybox:latest`. */
export const WORKLOAD_REPO = 'carina/busybox';

/** Images ready on the engine, and the saved workload image every node's inner engine loads. */
export interface EnsuredImages {
  readonly nodeImage: string;
  readonly workloadImage: string;
  readonly workloadTar: string;
}

/** Runs a command to completion and rejects only when it cannot start (the host's `childProcessRunner().run`). */
export type RunCommand = (command: string, args: readonly string[]) => Promise<{ readonly code: number; readonly stdout: string; readonly stderr: string }>;

/** Where to build (`cacheDir`), which Debian mirror debootstrap uses, how commands run, and where progress lines go. */
export interface EnsureImagesOptions {
  readonly cacheDir: string;
  readonly mirror: string;
  /** Runs debootstrap, `busybox --list`, and the umount and rm that clear a build tree. */
  readonly run: RunCommand;
  readonly log: (line: string) => void;
  /** The busybox-static binary (default /bin/busybox). */
  readonly busybox?: string;
  /** Another engine (the host's, for the userns node engine) whose node image is copied (save → load) rather than built again. */
  readonly source?: Dockerode | undefined;
}

/** `carina/node:<12 hex of sha256(recipe)>`: any change to the recipe gives a new tag. */
export function nodeImageTag(recipe: NodeRecipe = NODE_RECIPE): string {
  const canonical = JSON.stringify(recipe, Object.keys(recipe).sort());
  return `carina/node:${sha256(canonical).slice(0, 12)}`;
}

/** `carina/busybox:<12 hex of sha256(binary + recipe version)>`. */
export function workloadImageTag(busybox: Uint8Array, version: number = WORKLOAD_RECIPE_VERSION): string {
  return `${WORKLOAD_REPO}:${sha256(busybox, `\n${version}`).slice(0, 12)}`;
}

const inFlight = new WeakMap<Dockerode, Map<string, Promise<EnsuredImages>>>();

/** Finds or builds the node and workload images (about a minute the first time); concurrent callers share one build. */
export function ensureImages(docker: Dockerode, opts: EnsureImagesOptions): Promise<EnsuredImages> {
  const key = resolve(opts.cacheDir);
  const flights = inFlight.get(docker) ?? new Map<string, Promise<EnsuredImages>>();
  inFlight.set(docker, flights);
  const running = flights.get(key);
  if (running) return running;
  const flight = (async () => {
    try {
      await mkdir(key, { recursive: true });
      const workload = await ensureWorkloadImage(docker, key, opts);
      return { nodeImage: await ensureNodeImage(docker, key, opts), ...workload };
    } catch (cause) {
      throw cause instanceof CarinaError ? cause : new EngineError(`prepare node images in ${key}`, cause);
    }
  })().finally(() => flights.delete(key));
  flights.set(key, flight);
  return flight;
}

async function ensureNodeImage(docker: Dockerode, cacheDir: string, opts: EnsureImagesOptions): Promise<string> {
  const tag = nodeImageTag();
  if (await imageExists(docker, tag)) return tag;
  const started = Date.now();
  if (opts.source && (await imageExists(opts.source, tag).catch(() => false))) {
    await copyImage(opts.source, docker, tag);
    opts.log(`node image ${tag} copied from the host engine in ${seconds(started)} s`);
    return tag;
  }
  opts.log(`building node image ${tag} (first use, about a minute)…`);
  const rootfs = join(cacheDir, `rootfs-${tag.split(':')[1] ?? ''}.tmp`);
  await removeTree(rootfs, opts.run);
  try {
    const { suite, variant, packages } = NODE_RECIPE;
    const args = [`--variant=${variant}`, `--include=${packages.join(',')}`, suite, rootfs, opts.mirror];
    const result = await opts.run('debootstrap', args).catch((cause: unknown) => {
      throw new EngineError('build node image', isMissing(cause) ? 'debootstrap is not installed; install debootstrap: apt-get install -y debootstrap' : cause);
    });
    if (result.code !== 0) throw new EngineError('build node image', explainDebootstrapFailure(`${result.stdout}\n${result.stderr}`, opts.mirror));
    const entrypoint = join(rootfs, NODE_ENTRYPOINT_PATH);
    await mkdir(dirname(entrypoint), { recursive: true });
    await writeFile(entrypoint, NODE_RECIPE.entrypoint);
    await chmod(entrypoint, 0o755);
    // The image needs neither downloaded packages nor package lists (about 150 MB).
    await emptyDir(join(rootfs, 'var/cache/apt/archives'), (name) => name.endsWith('.deb'));
    await emptyDir(join(rootfs, 'var/lib/apt/lists'), () => true);
    await importDir(docker, rootfs, tag, [`ENTRYPOINT ${JSON.stringify([NODE_ENTRYPOINT_PATH])}`]);
  } finally {
    await removeTree(rootfs, opts.run);
  }
  opts.log(`node image ${tag} built in ${seconds(started)} s`);
  return tag;
}

async function ensureWorkloadImage(docker: Dockerode, cacheDir: string, opts: EnsureImagesOptions): Promise<Omit<EnsuredImages, 'nodeImage'>> {
  const source = opts.busybox ?? '/bin/busybox';
  const binary = await readFile(source).catch((cause: unknown) => {
    throw new EngineError('build workload image', isMissing(cause) ? `${source} is missing; install busybox-static: apt-get install -y busybox-static` : cause);
  });
  if (hasInterpreter(binary)) {
    throw new EngineError('build workload image', `${source} is dynamically linked; install busybox-static: apt-get install -y busybox-static`);
  }
  const tag = workloadImageTag(binary);
  const latest = `${WORKLOAD_REPO}:latest`;
  if (!(await imageExists(docker, tag))) {
    const started = Date.now();
    opts.log(`building workload image ${tag}…`);
    const dir = join(cacheDir, `busybox-${tag.split(':')[1] ?? ''}.tmp`);
    await rm(dir, { recursive: true, force: true });
    try {
      await mkdir(join(dir, 'bin'), { recursive: true });
      await mkdir(join(dir, 'tmp'));
      await chmod(join(dir, 'tmp'), 0o1777);
      await writeFile(join(dir, 'bin/busybox'), binary, { mode: 0o755 });
      const applets = (await opts.run(source, ['--list'])).stdout
        .split('\n').map((a) => a.trim()).filter((a) => /^[\w.[-]+$/.test(a) && a !== 'busybox');
      for (const applet of applets) await symlink('busybox', join(dir, 'bin', applet));
      await importDir(docker, dir, tag, ['CMD ["sh"]']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    opts.log(`workload image ${tag} built in ${seconds(started)} s`);
  }
  const [ours, current] = await Promise.all([docker.getImage(tag).inspect(), docker.getImage(latest).inspect().catch(() => undefined)]);
  if (current?.Id !== ours.Id) await docker.getImage(tag).tag({ repo: WORKLOAD_REPO, tag: 'latest' });

  const workloadTar = join(cacheDir, `carina-busybox-${tag.split(':')[1] ?? ''}.tar`);
  if (!(await stat(workloadTar).then(() => true, () => false))) {
    // Save both names: nodes refer to the pinned tag, people to `latest`.
    const saver = docker as Dockerode & { getImages(opts: { names: string[] }): Promise<NodeJS.ReadableStream> };
    try {
      await pipeline(await saver.getImages({ names: [tag, latest] }), createWriteStream(`${workloadTar}.tmp`));
      await rename(`${workloadTar}.tmp`, workloadTar);
    } catch (cause) {
      await rm(`${workloadTar}.tmp`, { force: true });
      throw new EngineError(`save ${tag} to ${workloadTar}`, cause);
    }
  }
  return { workloadImage: tag, workloadTar };
}

/** A user-facing reason for a failed debootstrap run, from its output. */
export function explainDebootstrapFailure(output: string, mirror: string): string {
  const lines = output.split('\n').map((l) => l.trim()).filter(Boolean);
  const detail = lines.filter((l) => l.startsWith('E:')).pop() ?? lines.pop() ?? 'no output';
  if (/can only run as root/i.test(output)) return 'debootstrap needs root: run Carina as root to build the node image';
  if (/Failed getting release file|Failed to resolve|resolve host|Connection refused|unreachable|timed out|Couldn't download/i.test(output)) {
    return `the Debian mirror ${mirror} is unreachable (${detail}); check network access to it or configure another mirror`;
  }
  return `debootstrap failed (${detail})`;
}

export function imageExists(docker: Dockerode, tag: string): Promise<boolean> {
  return docker.getImage(tag).inspect().then(
    () => true,
    (cause: unknown) => ((cause as { statusCode?: unknown }).statusCode === 404 ? false : Promise.reject(new EngineError(`inspect image ${tag}`, cause))),
  );
}

/** `docker save REF | docker load` between two engines (through the Engine API); `destination` names `to` in errors. */
export async function copyImage(from: Dockerode, to: Dockerode, ref: string, destination = 'the node engine'): Promise<void> {
  try {
    const loaded = await to.loadImage(await from.getImage(ref).get(), { quiet: true });
    await new Promise<void>((ok, fail) => to.modem.followProgress(loaded, (error) => (error ? fail(error) : ok())));
  } catch (cause) {
    throw new EngineError(`copy image ${ref} to ${destination}`, cause);
  }
}

/**
 * A tar of `dir` with what `tar -C dir -c .` keeps: modes as they are (no umask: /tmp stays 1777,
 * setuid bits stay), owners by number, symlinks. Sockets are left out, as tar does; so are device
 * nodes (debootstrap's in /dev), which no container sees: the runtime mounts its own /dev.
 */
export function dirArchive(dir: string): Pack {
  const options: PackOptions & { umask: number } = { umask: 0, strict: false }; // tar-fs reads umask; its types omit it
  return pack(dir, options);
}

/** Streams `dirArchive(dir)` into the engine's image import, applying Dockerfile-style `changes`. */
async function importDir(docker: Dockerode, dir: string, ref: string, changes: string[]): Promise<void> {
  const [repo = ref, tag = 'latest'] = ref.split(':');
  const archive = dirArchive(dir);
  const failed = new Promise<never>((_, fail) => archive.once('error', fail));
  failed.catch(() => undefined); // raced below; also when it fails after the import did
  const imported = docker.importImage(archive, { repo, tag, changes }).then(
    (progress) => new Promise<void>((ok, fail) => docker.modem.followProgress(progress, (error) => (error ? fail(error) : ok()))),
  );
  try {
    await Promise.race([imported, failed]);
  } catch (cause) {
    archive.destroy();
    throw new EngineError(`import image ${ref}`, cause);
  }
}

/** Removes a build tree without ever descending into a mount a killed debootstrap may have left (proc, sys, dev). */
async function removeTree(dir: string, run: RunCommand): Promise<void> {
  const mounts = (await readFile('/proc/self/mountinfo', 'utf8').catch(() => ''))
    .split('\n')
    .map((line) => line.split(' ')[4]?.replace(/\\040/g, ' '))
    .filter((point): point is string => point !== undefined && point.startsWith(`${dir}/`))
    .sort()
    .reverse();
  for (const point of mounts) await run('umount', ['-l', point]).catch(() => undefined);
  await run('rm', ['-rf', '--one-file-system', dir]);
}

async function emptyDir(dir: string, match: (name: string) => boolean): Promise<void> {
  for (const name of await readdir(dir).catch(() => [])) if (match(name)) await rm(join(dir, name), { recursive: true, force: true });
}

/** Whether an ELF64 little-endian binary asks for a dynamic loader (PT_INTERP); false when unsure. */
function hasInterpreter(bin: Buffer): boolean {
  if (bin.length < 64 || bin.readUInt32BE(0) !== 0x7f454c46 || bin[4] !== 2 || bin[5] !== 1) return false;
  const offset = Number(bin.readBigUInt64LE(0x20));
  const size = bin.readUInt16LE(0x36);
  for (let i = 0; i < bin.readUInt16LE(0x38); i++) if (offset + i * size + 4 <= bin.length && bin.readUInt32LE(offset + i * size) === 3) return true;
  return false;
}

const sha256 = (...parts: Array<string | Uint8Array>): string => parts.reduce((h, p) => h.update(p), createHash('sha256')).digest('hex');
const seconds = (since: number): string => ((Date.now() - since) / 1000).toFixed(1);
const isMissing = (cause: unknown): boolean => (cause as { code?: unknown }).code === 'ENOENT';
