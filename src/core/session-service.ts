import { createHash, randomBytes } from 'node:crypto';
import type { AccountRepository, SessionRepository } from './ports.js';
import type { Account } from './types.js';

/** A signed-in browser. The cookie holds the session's id; only its hash is stored. */
export interface Session {
  readonly accountId: string;
  /** The key hash the account had at sign-in: a rotated key ends the session. */
  readonly keyHash: string;
  readonly csrfToken: string;
  readonly expiresAt: number;
}

/** How long a portal session lives, and how many one account may have at once. */
export const SESSION_LIMITS = Object.freeze({
  ttlMs: 12 * 60 * 60_000,
  /** Browsers, and tabs whose sign-out never arrived; the oldest sign-in goes first. */
  maxPerAccount: 50,
});

export interface SessionServiceOptions {
  readonly repository: SessionRepository;
  readonly accounts: Pick<AccountRepository, 'findById'>;
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
export class SessionService {
  readonly #o: SessionServiceOptions;

  constructor(options: SessionServiceOptions) {
    this.#o = Object.freeze({ ...options });
  }

  /** Starts a session of an authenticated account, ending `previousId`'s; returns the cookie value (shown once) and the session. */
  async signIn(account: Account, previousId?: string): Promise<{ id: string; session: Session }> {
    if (previousId) await this.signOut(previousId);
    const now = this.#o.now();
    await this.#o.repository.deleteExpired(new Date(now));
    const id = token();
    const session = Object.freeze({ accountId: account.id, keyHash: account.keyHash, csrfToken: token(), expiresAt: now + this.#o.ttlMs });
    await this.#o.repository.create(
      { idHash: hash(id), accountId: account.id, keyHash: account.keyHash, csrfToken: session.csrfToken, createdAt: new Date(now), expiresAt: new Date(session.expiresAt) },
      this.#o.maxPerAccount,
    );
    return { id, session };
  }

  /**
   * The live session of a cookie value and its account, or undefined: unknown, expired, or its
   * account deleted or its key rotated since sign-in (such a session is forgotten).
   */
  async live(id: string): Promise<{ session: Session; account: Account } | undefined> {
    const session = await this.#get(id);
    if (!session) return undefined;
    const account = await this.#o.accounts.findById(session.accountId);
    if (!account || account.keyHash !== session.keyHash) {
      await this.signOut(id);
      return undefined;
    }
    return { session, account };
  }

  /** Ends the session of a cookie value (nothing if there is none). */
  async signOut(id: string): Promise<void> {
    await this.#o.repository.delete(hash(id));
  }

  async #get(id: string): Promise<Session | undefined> {
    const stored = await this.#o.repository.get(hash(id));
    if (!stored) return undefined;
    const expiresAt = stored.expiresAt.getTime();
    if (expiresAt <= this.#o.now()) {
      await this.#o.repository.delete(stored.idHash);
      return undefined;
    }
    return Object.freeze({ accountId: stored.accountId, keyHash: stored.keyHash, csrfToken: stored.csrfToken, expiresAt });
  }
}
