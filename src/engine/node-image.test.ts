import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Dockerode from 'dockerode';
import { afterAll, describe, expect, it } from 'vitest';
import { EngineError } from '../core/errors.js';
import { debianMirror } from '../host/apt-mirror.js';
import { childProcessRunner } from '../host/host-setup.js';
import {
  NODE_ENTRYPOINT_PATH,
  NODE_RECIPE,
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
