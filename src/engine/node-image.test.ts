import { spawnSync } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { chmod, link, mkdir, mkdtemp, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import Dockerode from 'dockerode';
import { afterAll, describe, expect, it } from 'vitest';
import { EngineError } from '../core/errors.js';
import { debianMirror } from '../host/apt-mirror.js';
import { childProcessRunner } from '../host/host-setup.js';
import {
  NODE_ENTRYPOINT_PATH,
  NODE_RECIPE,
  dirArchive,
  ensureImages,
  explainDebootstrapFailure,
  nodeImageTag,
  workloadImageTag,
} from './node-image.js';

describe('image tags', () => {
  it('are stable for a recipe, whatever the key order', () => {
    const { entrypoint, packages, variant, suite, version } = NODE_RECIPE;
    expect(nodeImageTag()).toMatch(/^carina\/node:[0-9a-f]{12}$/);
    expect(nodeImageTag({ entrypoint, packages, variant, suite, version })).toBe(nodeImageTag(NODE_RECIPE));
  });

  it('change with any part of the recipe', () => {
    const tags = new Set([
      nodeImageTag(),
      nodeImageTag({ ...NODE_RECIPE, version: NODE_RECIPE.version + 1 }),
      nodeImageTag({ ...NODE_RECIPE, packages: [...NODE_RECIPE.packages, 'curl'] }),
      nodeImageTag({ ...NODE_RECIPE, entrypoint: `${NODE_RECIPE.entrypoint}# changed\n` }),
      nodeImageTag({ ...NODE_RECIPE, suite: 'trixie' }),
    ]);
    expect(tags.size).toBe(5);
  });

  it('hash the busybox binary with the workload recipe version', () => {
    const binary = new TextEncoder().encode('busybox');
    expect(workloadImageTag(binary)).toMatch(/^carina\/busybox:[0-9a-f]{12}$/);
    expect(workloadImageTag(binary)).toBe(workloadImageTag(new TextEncoder().encode('busybox')));
    expect(workloadImageTag(binary, 2)).not.toBe(workloadImageTag(binary));
    expect(workloadImageTag(new TextEncoder().encode('busybox2'))).not.toBe(workloadImageTag(binary));
  });
});

describe('explainDebootstrapFailure', () => {
  it('names the mirror when it cannot be reached', () => {
    const output = 'I: Retrieving InRelease\nE: Failed getting release file http://m.example/debian/dists/bookworm/Release\n';
    expect(explainDebootstrapFailure(output, 'http://m.example/debian')).toBe(
      'the Debian mirror http://m.example/debian is unreachable (E: Failed getting release file http://m.example/debian/dists/bookworm/Release); check network access to it or configure another mirror',
    );
  });

  it('asks for root, or quotes the last error', () => {
    expect(explainDebootstrapFailure('E: debootstrap can only run as root\n', 'http://m')).toMatch(/needs root/);
    expect(explainDebootstrapFailure('I: x\nE: Couldn\'t find these debs: nope\n', 'http://m')).toBe(
      "debootstrap failed (E: Couldn't find these debs: nope)",
    );
  });
});

describe.skipIf(process.env.CARINA_TEST_ENGINE !== '1')('ensureImages on a real engine', () => {
  const docker = new Dockerode();
  const label = { 'carina.test': 'imgtest' };
  let cacheDir = '';
  const lines: string[] = [];
  const log = (line: string): void => {
    lines.push(line);
    console.info(line);
  };
  const opts = () => ({ cacheDir, mirror: debianMirror(), run: childProcessRunner().run, log });

  afterAll(async () => {
    const leftovers = await docker.listContainers({ all: true, filters: { label: ['carina.test=imgtest'] } });
    await Promise.all(leftovers.map((c) => docker.getContainer(c.Id).remove({ force: true })));
    if (cacheDir) await rm(cacheDir, { recursive: true, force: true });
  });

  it('builds the node and workload images, sharing one build between concurrent callers', async () => {
    cacheDir = await mkdtemp(join(tmpdir(), 'imgtest-'));
    const [first, second] = await Promise.all([ensureImages(docker, opts()), ensureImages(docker, opts())]);
    expect(second).toEqual(first);
    expect(lines.filter((l) => l.startsWith('building node image')).length).toBeLessThanOrEqual(1);
    expect(first.nodeImage).toBe(nodeImageTag());

    const node = await docker.getImage(first.nodeImage).inspect();
    expect(node.Config.Entrypoint).toEqual([NODE_ENTRYPOINT_PATH]);
    const workload = await docker.getImage(first.workloadImage).inspect();
    expect(workload.Config.Cmd).toEqual(['sh']);
    expect(workload.RepoTags).toContain('carina/busybox:latest');

    expect((await stat(first.workloadTar)).size).toBeGreaterThan(1_000_000);
    const manifest = spawnSync('tar', ['-xOf', first.workloadTar, 'manifest.json'], { encoding: 'utf8' });
    const [entry] = JSON.parse(manifest.stdout) as Array<{ RepoTags: string[] }>;
    expect(entry?.RepoTags.sort()).toEqual(['carina/busybox:latest', first.workloadImage].sort());
  }, 900_000);

  it('runs workloads from the workload image', async () => {
    const container = await docker.createContainer({
      Image: 'carina/busybox:latest',
      Cmd: ['sh', '-c', 'echo "hello from $(uname -s)"; ls /bin | wc -l'],
      Tty: true,
      Labels: label,
    });
    try {
      await container.start();
      const { StatusCode } = (await container.wait()) as { StatusCode: number };
      const output = (await container.logs({ stdout: true, stderr: true })).toString();
      expect(StatusCode).toBe(0);
      expect(output).toContain('hello from Linux');
      expect(Number(output.trim().split(/\s+/).pop())).toBeGreaterThan(100);
    } finally {
      await container.remove({ force: true });
    }
  }, 60_000);

  it('reuses the built images on the next call', async () => {
    lines.length = 0;
    const started = Date.now();
    const again = await ensureImages(docker, opts());
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(again.nodeImage).toBe(nodeImageTag());
    expect(lines.filter((l) => l.startsWith('building'))).toEqual([]);
  }, 30_000);
});

describe('ensureImages preconditions', () => {
  const unusedEngine = {} as Dockerode;
  const notRun = () => Promise.reject(new Error('no command runs before busybox is checked'));
  const attempt = async (busybox: string): Promise<unknown> => {
    const cacheDir = await mkdtemp(join(tmpdir(), 'imgtest-'));
    try {
      return await ensureImages(unusedEngine, { cacheDir, mirror: 'http://m', run: notRun, log: () => undefined, busybox }).catch((e: unknown) => e);
    } finally {
      await rm(cacheDir, { recursive: true, force: true });
    }
  };

  it('asks for busybox-static when the binary is missing', async () => {
    const error = await attempt('/nonexistent/busybox');
    expect(error).toBeInstanceOf(EngineError);
    expect((error as Error).message).toContain('install busybox-static: apt-get install -y busybox-static');
  });

  it('refuses a dynamically linked busybox, which cannot run in an empty image', async () => {
    const error = await attempt(process.execPath);
    expect((error as Error).message).toMatch(/is dynamically linked; install busybox-static/);
  });
});

describe('dirArchive', () => {
  it('holds what `tar -c` holds: names, modes (no umask), owners and symlinks; no device nodes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'imgtest-tar-'));
    try {
      const root = join(dir, 'root');
      const long = join('a'.repeat(120), 'b'.repeat(90)); // past ustar's 100 characters
      await mkdir(join(root, 'bin'), { recursive: true });
      await mkdir(join(root, 'tmp'));
      await chmod(join(root, 'tmp'), 0o1777);
      await writeFile(join(root, 'bin/busybox'), 'binary', { mode: 0o755 });
      await symlink('busybox', join(root, 'bin/sh'));
      await writeFile(join(root, 'bin/su'), 'su');
      await chmod(join(root, 'bin/su'), 0o4755);
      await link(join(root, 'bin/su'), join(root, 'bin/su2'));
      await mkdir(join(root, long, '..'), { recursive: true });
      await writeFile(join(root, long), 'long');
      await mkdir(join(root, 'dev'));
      const device = spawnSync('mknod', [join(root, 'dev/null'), 'c', '1', '3']).status === 0; // root only

      await pipeline(dirArchive(root), createWriteStream(join(dir, 'ours.tar')));
      expect(spawnSync('tar', ['-C', root, '-cf', join(dir, 'gnu.tar'), '.']).status).toBe(0);
      const list = (tar: string): string[] =>
        spawnSync('tar', ['--numeric-owner', '-tvf', join(dir, tar)], { encoding: 'utf8' }).stdout.trim().split('\n').map((line) => {
          const [mode = '', owner = '', , , , ...rest] = line.split(/\s+/);
          const name = rest.join(' ').replace(/^\.\//, '').replace(/\/$/, '').replace(/ link to .*/, '') || '.';
          return `${mode.replace(/^h/, '-')} ${owner} ${name}`; // tar stores a hard link as a link, tar-fs as a copy
        }).sort();
      const gnu = list('gnu.tar').filter((entry) => !entry.endsWith(' dev/null'));
      expect(list('ours.tar')).toEqual(gnu);
      const me = `${process.getuid?.() ?? 0}/${process.getgid?.() ?? 0}`;
      expect(gnu).toEqual(expect.arrayContaining([`drwxrwxrwt ${me} tmp`, `-rwsr-xr-x ${me} bin/su`, `-rwsr-xr-x ${me} bin/su2`, `lrwxrwxrwx ${me} bin/sh -> busybox`]));
      expect(gnu.some((entry) => entry.endsWith(` ${long}`))).toBe(true);
      if (device) expect(list('gnu.tar')).toContain(`crw-r--r-- ${me} dev/null`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
