import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RegistryStorage } from './storage.js';

/** A storage tree laid out as Distribution 2.8 writes it. */
function tree() {
  const root = mkdtempSync(join(tmpdir(), 'carina-registry-storage-'));
  const v2 = join(root, 'docker', 'registry', 'v2');
  const blob = (content: string) => {
    const hex = createHash('sha256').update(content).digest('hex');
    mkdirSync(join(v2, 'blobs', 'sha256', hex.slice(0, 2), hex), { recursive: true });
    writeFileSync(join(v2, 'blobs', 'sha256', hex.slice(0, 2), hex, 'data'), content);
    return `sha256:${hex}`;
  };
  const link = (repo: string, kind: string, digest: string) => {
    const dir = join(v2, 'repositories', ...repo.split('/'), kind, 'sha256', digest.slice(7));
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'link'), digest);
  };
  const image = (repo: string, tag: string, layers: string[]) => {
    const layerDigests = layers.map(blob);
    const config = blob(`{"config-of":"${repo}:${tag}"}`);
    for (const d of [...layerDigests, config]) link(repo, '_layers', d);
    const manifest = JSON.stringify({
      schemaVersion: 2,
      config: { size: Buffer.byteLength(`{"config-of":"${repo}:${tag}"}`), digest: config },
      layers: layers.map((l, i) => ({ size: Buffer.byteLength(l), digest: layerDigests[i] })),
    });
    const m = blob(manifest);
    link(repo, '_manifests/revisions', m);
    const tagDir = join(v2, 'repositories', ...repo.split('/'), '_manifests', 'tags', tag, 'current');
    mkdirSync(tagDir, { recursive: true });
    writeFileSync(join(tagDir, 'link'), m);
    return { manifest: m, size: Buffer.byteLength(manifest) + Buffer.byteLength(`{"config-of":"${repo}:${tag}"}`) + layers.reduce((n, l) => n + Buffer.byteLength(l), 0) };
  };
  return { root, image, blob, link };
}

const roots: string[] = [];
afterEach(() => {
  for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
});

describe('RegistryStorage', () => {
  it('lists a namespace with nested repositories, tags and sizes, counting a shared layer once', async () => {
    const t = tree();
    roots.push(t.root);
    const app = t.image('alice/app', '1', ['base-layer', 'app-layer-1']);
    t.image('alice/team/tool', 'latest', ['base-layer']);
    t.image('bob/app', '1', ['bob-secret-layer']);
    const storage = new RegistryStorage(t.root);

    expect(await storage.repositoryNames('alice')).toEqual(['alice/app', 'alice/team/tool']);
    const repos = await storage.repositories('alice');
    expect(repos[0]).toMatchObject({ name: 'alice/app', tags: [{ name: '1', digest: app.manifest, sizeBytes: app.size }] });
    // base-layer is in both repositories and counted once in the namespace's usage.
    const sum = repos.reduce((n, r) => n + r.sizeBytes, 0);
    expect(await storage.usage('alice')).toBe(sum - Buffer.byteLength('base-layer'));
    expect(await storage.repositories('carol')).toEqual([]);
    expect(await storage.usage('carol')).toBe(0);
  });

  it('untags only the tag asked for, and refuses names outside the grammar', async () => {
    const t = tree();
    roots.push(t.root);
    t.image('alice/app', '1', ['a']);
    t.image('alice/app', '2', ['b']);
    const storage = new RegistryStorage(t.root);
    expect(await storage.untag('alice/app', '1')).toBe(true);
    expect(await storage.untag('alice/app', '1')).toBe(false);
    expect(await storage.untag('alice/../bob/app', '1')).toBe(false);
    expect((await storage.repositories('alice'))[0]?.tags.map((x) => x.name)).toEqual(['2']);
  });
  it('finds the file of a blob only through a repository that holds it', async () => {
    const t = tree();
    roots.push(t.root);
    t.image('alice/app', '1', ['alice-layer']);
    t.image('bob/app', '1', ['bob-layer']);
    const storage = new RegistryStorage(t.root);
    const digest = `sha256:${createHash('sha256').update('alice-layer').digest('hex')}`;
    expect(await storage.blobFile('alice/app', digest)).toMatchObject({ size: Buffer.byteLength('alice-layer') });
    expect(await storage.blobFile('bob/app', digest)).toBeUndefined();
    expect(await storage.blobFile('alice/../bob/app', digest)).toBeUndefined();
    expect(await storage.blobFile('alice/app', 'sha256:../../etc')).toBeUndefined();
  });
});
