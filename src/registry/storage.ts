import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isRepositoryName, isTag } from '../core/registry-access.js';
import type { RegistryContents, StoredRepository, StoredTag } from '../core/registry-service.js';

/**
 * Reads what the registry keeps, straight from its filesystem storage (Distribution 2.x's layout,
 * registry/storage/paths.go): `blobs/sha256/ab/<hex>/data` holds each blob once; a repository's
 * `_layers/sha256/<hex>/link` and `_manifests/revisions/sha256/<hex>/link` say which blobs it holds,
 * `_manifests/tags/<tag>/current/link` which manifest a tag names. The registry's HTTP API cannot
 * list untagged revisions or blobs not yet in a manifest, which count against a quota all the same.
 */

const DIGEST = /^sha256:[a-f0-9]{64}$/;

interface ManifestJson {
  config?: { size?: number };
  layers?: Array<{ size?: number }>;
  manifests?: Array<{ digest?: string; size?: number }>;
}

/** The registry storage under `root` (the `rootdirectory` of its filesystem driver). */
export class RegistryStorage implements RegistryContents {
  readonly #v2: string;

  constructor(root: string) {
    this.#v2 = join(root, 'docker', 'registry', 'v2');
  }

  #blobPath(digest: string): string {
    const hex = digest.slice('sha256:'.length);
    return join(this.#v2, 'blobs', 'sha256', hex.slice(0, 2), hex, 'data');
  }

  #repoPath(name: string): string {
    return join(this.#v2, 'repositories', ...name.split('/'));
  }

  /** The size of a blob, or 0 when it is not stored (a link left behind by garbage collection). */
  async #blobSize(digest: string): Promise<number> {
    try {
      return (await stat(this.#blobPath(digest))).size;
    } catch {
      return 0;
    }
  }

  /** The digests linked under `dir` (`…/sha256/<hex>/link`). */
  async #linkedDigests(dir: string): Promise<string[]> {
    const entries = await readdir(join(dir, 'sha256')).catch(() => [] as string[]);
    return entries.filter((hex) => /^[a-f0-9]{64}$/.test(hex)).map((hex) => `sha256:${hex}`);
  }

  /** Every blob a repository holds: layers and configs, and manifests. */
  async #repositoryBlobs(name: string): Promise<string[]> {
    const path = this.#repoPath(name);
    return [...(await this.#linkedDigests(join(path, '_layers'))), ...(await this.#linkedDigests(join(path, '_manifests', 'revisions')))];
  }

  /** The repositories of `namespace` (nested names included), by name. */
  async repositoryNames(namespace: string): Promise<string[]> {
    const found: string[] = [];
    const walk = async (name: string, depth: number): Promise<void> => {
      const entries = await readdir(this.#repoPath(name), { withFileTypes: true }).catch(() => []);
      if (entries.some((e) => e.name === '_manifests' || e.name === '_layers')) found.push(name);
      if (depth >= 8) return;
      for (const e of entries) if (e.isDirectory() && !e.name.startsWith('_')) await walk(`${name}/${e.name}`, depth + 1);
    };
    const top = await readdir(this.#repoPath(namespace), { withFileTypes: true }).catch(() => []);
    for (const e of top) if (e.isDirectory() && !e.name.startsWith('_')) await walk(`${namespace}/${e.name}`, 1);
    return found.filter(isRepositoryName).sort();
  }

  /** Bytes `namespace` holds: each distinct blob of its repositories once. */
  async usage(namespace: string): Promise<number> {
    const digests = new Set<string>();
    for (const repo of await this.repositoryNames(namespace)) for (const d of await this.#repositoryBlobs(repo)) digests.add(d);
    let total = 0;
    for (const d of digests) total += await this.#blobSize(d);
    return total;
  }

  /** The image a manifest describes: the manifest, its config and layers (an index: its manifests too). */
  async #imageSize(digest: string, depth = 0): Promise<number> {
    let text: string;
    try {
      text = await readFile(this.#blobPath(digest), 'utf8');
    } catch {
      return 0;
    }
    let size = Buffer.byteLength(text);
    let manifest: ManifestJson;
    try {
      manifest = JSON.parse(text) as ManifestJson;
    } catch {
      return size;
    }
    size += manifest.config?.size ?? 0;
    for (const layer of manifest.layers ?? []) size += layer.size ?? 0;
    if (depth === 0) for (const m of manifest.manifests ?? []) if (m.digest && DIGEST.test(m.digest)) size += await this.#imageSize(m.digest, 1);
    return size;
  }

  /** A repository's tags, by name. */
  async #tags(name: string): Promise<StoredTag[]> {
    const dir = join(this.#repoPath(name), '_manifests', 'tags');
    const tags: StoredTag[] = [];
    for (const tag of (await readdir(dir).catch(() => [] as string[])).sort()) {
      const digest = (await readFile(join(dir, tag, 'current', 'link'), 'utf8').catch(() => '')).trim();
      if (!isTag(tag) || !DIGEST.test(digest)) continue;
      tags.push({ name: tag, digest, sizeBytes: await this.#imageSize(digest) });
    }
    return tags;
  }

  /** The repositories of `namespace` with their tags and sizes. */
  async repositories(namespace: string): Promise<StoredRepository[]> {
    const out: StoredRepository[] = [];
    for (const name of await this.repositoryNames(namespace)) {
      let size = 0;
      for (const d of new Set(await this.#repositoryBlobs(name))) size += await this.#blobSize(d);
      out.push({ name, tags: await this.#tags(name), sizeBytes: size });
    }
    return out;
  }

  /**
   * Removes a tag (what the registry's own untag does: the tag's directory). The manifest stays
   * pullable by digest until garbage collection, which removes it and its blobs if no tag names it.
   * Answers false when there is no such tag.
   */
  async untag(repository: string, tag: string): Promise<boolean> {
    if (!isRepositoryName(repository) || !isTag(tag)) return false;
    const dir = join(this.#repoPath(repository), '_manifests', 'tags', tag);
    try {
      await stat(join(dir, 'current', 'link'));
    } catch {
      return false;
    }
    await rm(dir, { recursive: true, force: true });
    return true;
  }

  /** The file of `digest` when `repository` holds it (a layer or config link, as the registry checks), else undefined. */
  async blobFile(repository: string, digest: string): Promise<{ path: string; size: number } | undefined> {
    if (!isRepositoryName(repository) || !DIGEST.test(digest)) return undefined;
    try {
      await stat(join(this.#repoPath(repository), '_layers', 'sha256', digest.slice('sha256:'.length), 'link'));
      const path = this.#blobPath(digest);
      return { path, size: (await stat(path)).size };
    } catch {
      return undefined;
    }
  }

  /** Bytes of every blob stored, all namespaces (what garbage collection shrinks). */
  async totalBlobBytes(): Promise<number> {
    let total = 0;
    const root = join(this.#v2, 'blobs', 'sha256');
    for (const prefix of await readdir(root).catch(() => [] as string[])) {
      for (const hex of await readdir(join(root, prefix)).catch(() => [] as string[])) total += await this.#blobSize(`sha256:${hex}`);
    }
    return total;
  }
}
