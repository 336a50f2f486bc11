import { CarinaError, ErrorCode } from '../core/errors.js';
import type { Store } from '../core/ports.js';
import type { Account } from '../core/types.js';
import { accountIdOfKey, keyFingerprint, verifyApiKey } from './api-keys.js';

const CACHE_TTL_MS = 5 * 60_000;
const CACHE_MAX = 10_000;

const unauthorized = (why: string) =>
  new CarinaError(ErrorCode.UNAUTHORIZED, `${why}: send "Authorization: Bearer <API key>" (or HTTP Basic with username and API key)`);

/**
 * Resolves the account of a request. scrypt is deliberately slow, so a verified key is remembered
 * by its fingerprint together with the stored hash it matched; a rotated key (new hash) misses.
 */
export class Authenticator {
  readonly #store: Store;
  readonly #cache = new Map<string, { accountId: string; keyHash: string; until: number }>();

  constructor(store: Store) {
    this.#store = store;
  }

  /** The account for an Authorization header value, or UNAUTHORIZED. */
  async authenticate(header: string | undefined): Promise<Account> {
    if (!header) throw unauthorized('missing credentials');
    const [scheme, value = ''] = header.split(/\s+/, 2);
    if (scheme?.toLowerCase() === 'bearer') return this.#byKey(value.trim(), undefined);
    if (scheme?.toLowerCase() === 'basic') {
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 1) throw unauthorized('malformed Basic credentials');
      return this.#byKey(decoded.slice(colon + 1), decoded.slice(0, colon));
    }
    throw unauthorized('unsupported authorization scheme');
  }

  async #byKey(key: string, username: string | undefined): Promise<Account> {
    const accountId = accountIdOfKey(key);
    if (!accountId) throw unauthorized('invalid API key');
    const account = await this.#store.accounts.findById(accountId);
    if (!account || (username !== undefined && username !== account.name)) throw unauthorized('invalid username or API key');
    const fp = keyFingerprint(key);
    const hit = this.#cache.get(fp);
    if (hit && hit.accountId === account.id && hit.keyHash === account.keyHash && hit.until > Date.now()) return account;
    if (!(await verifyApiKey(key, account.keyHash))) throw unauthorized('invalid API key');
    if (this.#cache.size >= CACHE_MAX) this.#cache.clear();
    this.#cache.set(fp, { accountId: account.id, keyHash: account.keyHash, until: Date.now() + CACHE_TTL_MS });
    return account;
  }
}
