/** What a page is cached by: the account and the page asked for. */
export interface PageQuery {
  readonly after?: string | undefined;
  readonly limit: number;
}

interface Entry {
  readonly version: number;
  /** The serialised page; a promise while it is being made, so that concurrent misses make it once. */
  body: Buffer | Promise<Buffer>;
}

/** What a serializer hands back (Fastify's `reply.serialize`). */
type Serialised = string | Buffer | ArrayBuffer;

const toBuffer = (s: Serialised): Buffer => (typeof s === 'string' ? Buffer.from(s) : Buffer.isBuffer(s) ? s : Buffer.from(s));

/** Bytes of pages kept at most: 28 KiB a page of 100 clusters, so ≈ 140 pages. */
const DEFAULT_MAX_BYTES = 4 * 1024 * 1024;

/**
 * Serialised pages of `GET /v1/clusters`, each kept with the account's list version it was made at
 * and answered again only while the store still says that version. The version is read from the
 * store on every request (one primary-key lookup) rather than invalidated in this process: the
 * writes that change a list come from other replicas sharing the database and from the reconciler
 * too, and the store's triggers see them all (src/store/migrations/0011-list-version.ts).
 *
 * The version is read *before* the page, so a page is never kept under a version newer than the
 * data it shows: a write between the two reads at worst makes a page that the next request remakes.
 * Least recently used pages go first past `maxBytes`.
 */
export class ListPageCache {
  readonly #entries = new Map<string, Entry>();
  readonly #maxBytes: number;
  #bytes = 0;

  constructor(maxBytes = DEFAULT_MAX_BYTES) {
    this.#maxBytes = maxBytes;
  }

  /** The page of `accountId` for `query`: kept if `version()` still says so, else `make()` (then kept). */
  async get(accountId: string, query: PageQuery, version: () => Promise<number>, make: () => Promise<Serialised>): Promise<Buffer> {
    const key = `${accountId}\n${query.limit}\n${query.after ?? ''}`;
    const now = await version();
    const entry = this.#entries.get(key);
    if (entry !== undefined && entry.version === now) {
      this.#entries.delete(key); // most recently used last
      this.#entries.set(key, entry);
      return entry.body;
    }
    if (entry !== undefined && entry.version > now) return toBuffer(await make()); // a slower request of an older version: never replace a newer page
    const made: Entry = { version: now, body: make().then(toBuffer) };
    this.#set(key, made);
    try {
      made.body = await made.body;
    } catch (e) {
      if (this.#entries.get(key) === made) this.#entries.delete(key);
      throw e;
    }
    if (this.#entries.get(key) === made) {
      this.#bytes += made.body.length;
      this.#evict();
    }
    return made.body;
  }

  /** Pages and bytes kept (for tests and figures). */
  get size(): { readonly pages: number; readonly bytes: number } {
    return { pages: this.#entries.size, bytes: this.#bytes };
  }

  #set(key: string, entry: Entry): void {
    this.#forget(key);
    this.#entries.set(key, entry);
  }

  #forget(key: string): void {
    const old = this.#entries.get(key);
    if (old === undefined) return;
    if (Buffer.isBuffer(old.body)) this.#bytes -= old.body.length;
    this.#entries.delete(key);
  }

  #evict(): void {
    for (const key of this.#entries.keys()) {
      if (this.#bytes <= this.#maxBytes) return;
      this.#forget(key);
    }
  }
}
