import { createHash, randomBytes } from 'node:crypto';
import type { SessionRepository } from '../../core/ports.js';

/** A signed-in browser. The cookie holds the session's id; only its hash is stored. */
export interface Session {
  readonly accountId: string;
  /** The key hash the account had at sign-in: a rotated key ends the session. */
  readonly keyHash: string;
  readonly csrfToken: string;
  readonly expiresAt: number;
}

export interface SessionStoreOptions {
  readonly repository: SessionRepository;
  readonly ttlMs: number;
  /** Bound on one account's live sessions; the oldest sign-in goes first. */
  readonly maxPerAccount: number;
  readonly now: () => number;
}

const hash = (id: string) => createHash('sha256').update(id).digest('base64url');
const token = () => randomBytes(32).toString('base64url');

/**
 * Portal sessions with an absolute expiry, kept in the store (a restart of carina-server keeps
 * everyone signed in). Keyed by the SHA-256 of the opaque cookie value, which is never stored.
 */
export class SessionStore {
  readonly #o: SessionStoreOptions;

  constructor(options: SessionStoreOptions) {
    this.#o = Object.freeze({ ...options });
  }

  /** Starts a session; returns the cookie value (shown once) and the session. */
  async create(accountId: string, keyHash: string): Promise<{ id: string; session: Session }> {
    const now = this.#o.now();
    await this.#o.repository.deleteExpired(new Date(now));
    const id = token();
    const session = Object.freeze({ accountId, keyHash, csrfToken: token(), expiresAt: now + this.#o.ttlMs });
    await this.#o.repository.create(
      { idHash: hash(id), accountId, keyHash, csrfToken: session.csrfToken, createdAt: new Date(now), expiresAt: new Date(session.expiresAt) },
      this.#o.maxPerAccount,
    );
    return { id, session };
  }

  /** The live session of a cookie value, or undefined (unknown or expired). */
  async get(id: string): Promise<Session | undefined> {
    const stored = await this.#o.repository.get(hash(id));
    if (!stored) return undefined;
    const expiresAt = stored.expiresAt.getTime();
    if (expiresAt <= this.#o.now()) {
      await this.#o.repository.delete(stored.idHash);
      return undefined;
    }
    return Object.freeze({ accountId: stored.accountId, keyHash: stored.keyHash, csrfToken: stored.csrfToken, expiresAt });
  }

  async delete(id: string): Promise<void> {
    await this.#o.repository.delete(hash(id));
  }
}
