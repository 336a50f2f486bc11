import { AuthThrottle } from '../core/auth-throttle.js';
import { CarinaError, ErrorCode } from '../core/errors.js';
import type { Store } from '../core/ports.js';
import type { Account } from '../core/types.js';
import { accountIdOfKey, keyFingerprint, verifyApiKey } from './api-keys.js';

const CACHE_TTL_MS = 5 * 60_000;
/**
 * How long a verified key's account is answered from memory before the store is asked again: the
 * bound on how late a rotated key, a deleted account or a new quota is seen by this replica (each
 * replica its own). Within it a request costs no query; the key's SHA-256 is the cache's index.
 */
export const ACCOUNT_RECHECK_MS = 2_000;
const CACHE_MAX = 10_000;
/** Wrong keys allowed per client address and account in a minute, before 429 with Retry-After. */
export const AUTH_FAILURES_PER_MINUTE = 10;
const WINDOW_MS = 60_000;

const unauthorized = (why: string) =>
  new CarinaError(ErrorCode.UNAUTHORIZED, `${why}: send "Authorization: Bearer <API key>" (or HTTP Basic with username and API key)`);

/**
 * Resolves the account of a request. scrypt is deliberately slow, so a verified key is remembered
 * by its fingerprint together with the account and the stored hash it matched; the account is read
 * again after ACCOUNT_RECHECK_MS, and a rotated key (new hash) misses.
 */
export class Authenticator {
  readonly #store: Store;
  readonly #cache = new Map<string, { account: Account; until: number; recheckAt: number }>();
  readonly #throttle: AuthThrottle;
  readonly #now: () => number;

  constructor(store: Store, now: () => number = Date.now) {
    this.#store = store;
    this.#now = now;
    this.#throttle = new AuthThrottle({ maxFailures: AUTH_FAILURES_PER_MINUTE, windowMs: WINDOW_MS, now });
  }

  /**
   * The account for an Authorization header value, or UNAUTHORIZED; RATE_LIMITED (before any key is
   * checked) once `client` (the caller's address) has sent too many wrong keys for that account.
   */
  async authenticate(header: string | undefined, client = 'local'): Promise<Account> {
    if (!header) throw unauthorized('missing credentials');
    const [scheme, value = ''] = header.split(/\s+/, 2);
    if (scheme?.toLowerCase() === 'bearer') return this.#throttled(client, value.trim(), undefined);
    if (scheme?.toLowerCase() === 'basic') {
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 1) throw unauthorized('malformed Basic credentials');
      return this.#throttled(client, decoded.slice(colon + 1), decoded.slice(0, colon));
    }
    throw unauthorized('unsupported authorization scheme');
  }

  async #throttled(client: string, key: string, username: string | undefined): Promise<Account> {
    // Bucketed by the account the key names, whatever the scheme: a key can only ever succeed for
    // that account, so alternating Bearer and Basic (or usernames) buys a guesser no extra tries.
    const who = `${client}|${accountIdOfKey(key) ?? username ?? '?'}`;
    const fp = keyFingerprint(key);
    let wait = this.#throttle.retryAfterMs(who);
    // A key not verified lately will cost scrypt: ask the store as well, where every replica
    // counts. (A key verified lately is never a guess; it needs no query.)
    if (wait === 0 && !this.#recentlyVerified(fp)) wait = await this.#sharedWait(who);
    if (wait > 0) {
      const secs = Math.ceil(wait / 1000);
      throw new CarinaError(ErrorCode.RATE_LIMITED, `too many wrong API keys from your address for this account: try again in ${secs} s`, {
        details: { retryAfterSeconds: secs },
      });
    }
    const attempt = { verified: false };
    try {
      return await this.#byKey(key, fp, username, attempt);
    } catch (e) {
      if (e instanceof CarinaError && e.code === ErrorCode.UNAUTHORIZED) {
        this.#throttle.failed(who);
        // Shared only for keys that reached scrypt: the others (malformed, unknown account, another
        // account's username) were refused for free and can never succeed.
        if (attempt.verified) await this.#store.authFailures.record(who, new Date(this.#now()), WINDOW_MS).catch(() => undefined);
      }
      throw e;
    }
  }

  /** `fp`: the key's fingerprint, the cache's index. */
  #recentlyVerified(fp: string): boolean {
    const hit = this.#cache.get(fp);
    return hit !== undefined && hit.until > this.#now();
  }

  /** How long the bucket must wait by the count every replica shares; 0 if the store cannot say (fail open: this replica's own count still holds). */
  async #sharedWait(who: string): Promise<number> {
    const now = this.#now();
    const current = await this.#store.authFailures.current(who, new Date(now), WINDOW_MS).catch(() => undefined);
    if (!current || current.failures < AUTH_FAILURES_PER_MINUTE) return 0;
    return current.windowStart.getTime() + WINDOW_MS - now;
  }

  async #byKey(key: string, fp: string, username: string | undefined, attempt: { verified: boolean }): Promise<Account> {
    const accountId = accountIdOfKey(key);
    if (!accountId) throw unauthorized('invalid API key');
    const now = this.#now();
    const hit = this.#cache.get(fp);
    // Verified lately and the account read lately: no query, no scrypt.
    if (hit && hit.account.id === accountId && hit.recheckAt > now && hit.until > now && (username === undefined || username === hit.account.name)) return hit.account;
    const account = await this.#store.accounts.findById(accountId);
    if (!account || (username !== undefined && username !== account.name)) throw unauthorized('invalid username or API key');
    // The key matched this stored hash before: a rotated key (new hash) or an expired entry is verified again.
    if (!(hit && hit.account.id === account.id && hit.account.keyHash === account.keyHash && hit.until > now)) {
      attempt.verified = true;
      if (!(await verifyApiKey(key, account.keyHash))) throw unauthorized('invalid API key');
    }
    if (this.#cache.size >= CACHE_MAX && !this.#cache.has(fp)) this.#cache.clear();
    const until = hit && hit.account.keyHash === account.keyHash && hit.until > now ? hit.until : now + CACHE_TTL_MS;
    this.#cache.set(fp, { account, until, recheckAt: now + ACCOUNT_RECHECK_MS });
    return account;
  }
}
