import { CarinaError, ErrorCode } from './errors.js';
import type { Store } from './ports.js';
import { grant, isRepositoryName, namespaceOf, namespaceOfRepository, parseScopes, type RegistryAccess, type RegistryCredential } from './registry-access.js';
import type { Account } from './types.js';

/** Who a pull credential was issued to. */
export interface PullIdentity {
  readonly accountId: string;
  readonly accountName: string;
}

/** Signs bearer tokens for the registry and the nodes' pull credentials (src/registry/tokens.ts). */
export interface RegistryTokens {
  /** The `service` the registry names in its challenges (and the tokens' audience). */
  readonly service: string;
  issue(subject: string, access: readonly RegistryAccess[], ttlSeconds: number): Promise<string>;
  pullCredential(identity: PullIdentity): Promise<string>;
  /** The identity of a valid pull credential; undefined for anything else. */
  verifyPullCredential(password: string): Promise<PullIdentity | undefined>;
}

/** One tag: the manifest it names and the image's size. */
export interface StoredTag {
  readonly name: string;
  readonly digest: string;
  readonly sizeBytes: number;
}

/** One repository: its tags and the distinct blobs it holds. */
export interface StoredRepository {
  readonly name: string;
  readonly tags: StoredTag[];
  readonly sizeBytes: number;
}

/** What the registry stores, by namespace (src/registry/storage.ts). */
export interface RegistryContents {
  usage(namespace: string): Promise<number>;
  repositories(namespace: string): Promise<StoredRepository[]>;
  untag(repository: string, tag: string): Promise<boolean>;
}

/** The account's registry (`GET /v1/registry`). */
export interface RegistryDescription {
  readonly address: string;
  readonly namespace: string;
  readonly quotaBytes: number;
  readonly usedBytes: number;
  readonly caPem: string;
}

/** An issued bearer token, as the token spec answers it. */
export interface IssuedToken {
  readonly token: string;
  readonly expiresIn: number;
  readonly issuedAt: Date;
}

/** Inputs of RegistryService. */
export interface RegistryServiceDeps {
  readonly store: Store;
  readonly tokens: RegistryTokens;
  readonly contents: RegistryContents;
  /** HOST:PORT users and nodes reach the registry at. */
  readonly address: string;
  readonly caPem: string;
  readonly defaultQuotaBytes: number;
  readonly tokenTtlSeconds?: number;
}

const DEFAULT_TOKEN_TTL_SECONDS = 300;

/** Why a requested access is not granted, for the person at the docker client. */
function deniedBecause(asked: RegistryAccess | undefined, namespace: string, credential: RegistryCredential): string {
  if (!asked) return 'nothing to grant';
  if (asked.type !== 'repository') return `the registry's ${asked.name} is not available: list your own repositories with carina registry ls`;
  if (!isRepositoryName(asked.name)) return `"${asked.name}" is not a valid repository name (lowercase letters, digits and . _ - separators, parts joined by /)`;
  if (!asked.name.startsWith(`${namespace}/`)) return `${asked.name} is not in your namespace: you may push and pull ${namespace}/… only (tag your image as REGISTRY/${namespace}/NAME:TAG)`;
  if (credential === 'pull') return `this credential may only pull ${namespace}/…, not ${asked.actions.join(',')}`;
  return `${asked.actions.join(',')} is not allowed on ${asked.name}: only pull and push`;
}

/**
 * The registry as the API and the gateway see it: one namespace per account, its quota and usage,
 * its tags, and the bearer tokens (and the nodes' pull credentials) that give access to it.
 */
export class RegistryService {
  readonly #deps: RegistryServiceDeps;

  constructor(deps: RegistryServiceDeps) {
    this.#deps = deps;
  }

  get address(): string {
    return this.#deps.address;
  }

  /** The account's namespace, or REGISTRY_UNAVAILABLE saying why it has none. */
  namespace(account: Pick<Account, 'name'>): string {
    const ns = namespaceOf(account.name);
    if ('problem' in ns) throw new CarinaError(ErrorCode.REGISTRY_UNAVAILABLE, `${ns.problem}: this account cannot use the registry`);
    return ns.namespace;
  }

  quotaBytes(account: Pick<Account, 'registryQuotaBytes'>): number {
    return account.registryQuotaBytes ?? this.#deps.defaultQuotaBytes;
  }

  async describe(account: Account): Promise<RegistryDescription> {
    const namespace = this.namespace(account);
    return {
      address: this.#deps.address,
      namespace,
      quotaBytes: this.quotaBytes(account),
      usedBytes: await this.#deps.contents.usage(namespace),
      caPem: this.#deps.caPem,
    };
  }

  async repositories(account: Account): Promise<{ repositories: StoredRepository[]; usedBytes: number; quotaBytes: number }> {
    const namespace = this.namespace(account);
    return {
      repositories: await this.#deps.contents.repositories(namespace),
      usedBytes: await this.#deps.contents.usage(namespace),
      quotaBytes: this.quotaBytes(account),
    };
  }

  /** Deletes a tag of the account's own repositories; any other (or a missing one) is NOT_FOUND. */
  async deleteTag(account: Account, repository: string, tag: string): Promise<void> {
    const namespace = this.namespace(account);
    const notFound = () => new CarinaError(ErrorCode.NOT_FOUND, `no tag ${repository}:${tag} in your registry namespace "${namespace}"`, { details: { repository, tag } });
    if (namespaceOfRepository(repository) !== namespace || !repository.startsWith(`${namespace}/`)) throw notFound();
    if (!(await this.#deps.contents.untag(repository, tag))) throw notFound();
  }

  /** Quota and usage of a namespace for the registry's front (undefined: no such account). */
  async quotaOfNamespace(namespace: string): Promise<{ quotaBytes: number; usedBytes: number } | undefined> {
    const account = await this.#deps.store.accounts.findByName(namespace);
    if (!account) return undefined;
    return { quotaBytes: this.quotaBytes(account), usedBytes: await this.#deps.contents.usage(namespace) };
  }

  /**
   * A bearer token for `account`, proven by `credential`, granting of `scopes` what it may have
   * (token spec: what is not granted is left out). `service` must be this registry's.
   */
  async token(account: Account, credential: RegistryCredential, service: string | undefined, scopes: readonly string[]): Promise<IssuedToken> {
    if (service !== undefined && service !== this.#deps.tokens.service) {
      throw new CarinaError(ErrorCode.BAD_REQUEST, `unknown service "${service}": this token server issues tokens for "${this.#deps.tokens.service}"`);
    }
    const namespace = this.namespace(account);
    const ttl = this.#deps.tokenTtlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS;
    const issuedAt = new Date();
    const requested = parseScopes(scopes);
    const granted = grant(namespace, credential, requested);
    // Nothing of what was asked: say why, in words the docker client prints, rather than let the
    // registry answer a bare "authentication required" for a token that grants nothing.
    if (requested.length > 0 && granted.length === 0) throw new CarinaError(ErrorCode.REGISTRY_DENIED, deniedBecause(requested[0], namespace, credential));
    const token = await this.#deps.tokens.issue(account.name, granted, ttl);
    return { token, expiresIn: ttl, issuedAt };
  }

  /** The account a pull credential (username + password) belongs to, if it is a valid one. */
  async pullAccount(username: string, password: string): Promise<Account | undefined> {
    const identity = await this.#deps.tokens.verifyPullCredential(password);
    if (!identity || identity.accountName !== username) return undefined;
    const account = await this.#deps.store.accounts.findById(identity.accountId);
    // A deleted account, or another one made since under the same name, is not who it was issued to.
    return account && account.name === identity.accountName ? account : undefined;
  }

  /**
   * The `X-Registry-Auth` value a node engine pulls the account's images with: the account's
   * pull-only credential for this registry (Docker's base64url-encoded AuthConfig JSON).
   */
  async nodePullAuth(account: Pick<Account, 'id' | 'name'>): Promise<string> {
    const password = await this.#deps.tokens.pullCredential({ accountId: account.id, accountName: account.name });
    const auth = { username: account.name, password, serveraddress: this.#deps.address };
    // Docker decodes it with Go's base64.URLEncoding, which wants the padding Node's base64url leaves out.
    return Buffer.from(JSON.stringify(auth)).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
  }
}
