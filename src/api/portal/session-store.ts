import { createHash, randomBytes } from 'node:crypto';

/** A signed-in browser. The cookie holds `id`; only its hash is kept here. */
export interface Session {
  readonly accountId: string;
  /** The key hash the account had at sign-in: a rotated key ends the session. */
  readonly keyHash: string;
  readonly csrfToken: string;
  readonly expiresAt: number;
}

export interface SessionStoreOptions {
  readonly ttlMs: number;
  /** Bound on live sessions (memory); the oldest goes first. */
  readonly max: number;
  readonly now: () => number;
}

const hash = (id: string) => createHash('sha256').update(id).digest('base64url');
const token = () => randomBytes(32).toString('base64url');

/**
 * Sessions kept in memory with an absolute expiry: a restart of carina-server signs everyone out
 * (documented in docs/portal.md). Keyed by the SHA-256 of the opaque cookie value.
 */
export class SessionStore {
  readonly #o: SessionStoreOptions;
  readonly #sessions = new Map<string, Session>();

  constructor(options: SessionStoreOptions) {
    this.#o = Object.freeze({ ...options });
  }

  /** Starts a session; returns the cookie value (shown once) and the session. */
  create(accountId: string, keyHash: string): { id: string; session: Session } {
    this.#evict();
    const id = token();
    const session = Object.freeze({ accountId, keyHash, csrfToken: token(), expiresAt: this.#o.now() + this.#o.ttlMs });
    this.#sessions.set(hash(id), session);
    return { id, session };
  }

  /** The live session of a cookie value, or undefined (unknown or expired). */
  get(id: string): Session | undefined {
    const key = hash(id);
    const session = this.#sessions.get(key);
    if (session && session.expiresAt <= this.#o.now()) {
      this.#sessions.delete(key);
      return undefined;
    }
    return session;
  }

  delete(id: string): void {
    this.#sessions.delete(hash(id));
  }

  get size(): number {
    return this.#sessions.size;
  }

  #evict(): void {
    const now = this.#o.now();
    for (const [key, s] of this.#sessions) if (s.expiresAt <= now) this.#sessions.delete(key);
    // Map iteration is insertion order: the first entries are the oldest sessions.
    for (const key of this.#sessions.keys()) {
      if (this.#sessions.size < this.#o.max) break;
      this.#sessions.delete(key);
    }
  }
}
