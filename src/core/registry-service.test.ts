import { describe, expect, it } from 'vitest';
import { CarinaError, ErrorCode } from './errors.js';
import type { Store } from './ports.js';
import { PULL_CREDENTIAL_PREFIX, type RegistryAccess } from './registry-access.js';
import { RegistryService, type PullIdentity, type RegistryContents, type RegistryTokens, type StoredRepository } from './registry-service.js';
import type { Account } from './types.js';

// The registry as the API and the gateway see it, on in-memory fakes of its ports: what a token
// grants, whose pull credential is whose, which tags an account may delete, and the header node
// engines pull with.

function account(id: string, name: string, registryQuotaBytes: number | null = null): Account {
  return { id, name, keyHash: 'x', quotaClusters: 1, quotaNodes: 1, registryQuotaBytes, createdAt: new Date(0) };
}

/** Tokens whose content can be read back: the JSON of what was asked to be signed. */
class FakeTokens implements RegistryTokens {
  readonly service = 'carina-registry';
  readonly #credentials = new Map<string, PullIdentity>();
  passwordSuffix = '';

  issue(subject: string, access: readonly RegistryAccess[], ttlSeconds: number): Promise<string> {
    return Promise.resolve(JSON.stringify({ subject, access, ttlSeconds }));
  }

  pullCredential(identity: PullIdentity): Promise<string> {
    const credential = `${PULL_CREDENTIAL_PREFIX}${identity.accountId}${this.passwordSuffix}`;
    this.#credentials.set(credential, identity);
    return Promise.resolve(credential);
  }

  verifyPullCredential(password: string): Promise<PullIdentity | undefined> {
    return Promise.resolve(this.#credentials.get(password));
  }
}

class FakeContents implements RegistryContents {
  readonly tags = new Set<string>(['alice/app:1', 'alice/app:2', 'bob/app:1']);
  readonly untagged: string[] = [];

  usage(namespace: string): Promise<number> {
    return Promise.resolve(namespace === 'alice' ? 1234 : 0);
  }

  repositories(namespace: string): Promise<StoredRepository[]> {
    return Promise.resolve([{ name: `${namespace}/app`, tags: [], sizeBytes: 0 }]);
  }

  untag(repository: string, tag: string): Promise<boolean> {
    this.untagged.push(`${repository}:${tag}`);
    return Promise.resolve(this.tags.delete(`${repository}:${tag}`));
  }
}

/** The store as the service uses it: accounts by name and by id, nothing else. */
function fakeStore(accounts: Account[]): Store {
  const store: Pick<Store, 'accounts'> = {
    accounts: {
      findByName: (name) => Promise.resolve(accounts.find((a) => a.name === name)),
      findById: (id) => Promise.resolve(accounts.find((a) => a.id === id)),
      create: () => Promise.reject(new Error('not used')),
      list: () => Promise.resolve([...accounts]),
      updateKeyHash: () => Promise.reject(new Error('not used')),
      setQuota: () => Promise.reject(new Error('not used')),
      delete: () => Promise.reject(new Error('not used')),
    },
  };
  return store as Store; // the service touches nothing else
}

const alice = account('a1b2c3d4e5f60718', 'alice');
const bob = account('b0b0b0b0b0b0b0b0', 'bob', 4 * 2 ** 20);

function setUp(accounts: Account[] = [alice, bob]) {
  const tokens = new FakeTokens();
  const contents = new FakeContents();
  const service = new RegistryService({ store: fakeStore(accounts), tokens, contents, address: '10.0.0.5:5000', caPem: 'CA', defaultQuotaBytes: 10 * 2 ** 30 });
  return { service, tokens, contents };
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof CarinaError) return e.code;
    throw e;
  }
  return 'resolved';
}

describe('RegistryService.token', () => {
  it('grants per the access rules: push and pull of the account\'s own namespace only, nothing of another\'s or the catalog', async () => {
    const { service } = setUp();
    const issued = await service.token(alice, 'api-key', 'carina-registry', ['repository:alice/app:pull,push', 'repository:bob/app:pull', 'registry:catalog:*']);
    expect(JSON.parse(issued.token)).toEqual({ subject: 'alice', access: [{ type: 'repository', name: 'alice/app', actions: ['pull', 'push'] }], ttlSeconds: 300 });
    expect(issued.expiresIn).toBe(300);
  });

  it('grants only pull to a pull credential', async () => {
    const { service } = setUp();
    const issued = await service.token(alice, 'pull', undefined, ['repository:alice/app:pull,push,delete']);
    expect((JSON.parse(issued.token) as { access: unknown }).access).toEqual([{ type: 'repository', name: 'alice/app', actions: ['pull'] }]);
  });

  it.each([
    ['another account\'s repository', 'api-key', 'repository:bob/app:pull', /bob\/app is not in your namespace: you may push and pull alice\/… only/],
    ['the catalog', 'api-key', 'registry:catalog:*', /catalog is not available: list your own repositories with carina registry ls/],
    ['a push with the pull credential', 'pull', 'repository:alice/app:push', /this credential may only pull alice\//],
    ['an invalid name', 'api-key', 'repository:alice/App:pull', /"alice\/App" is not a valid repository name/],
  ] as const)('refuses, saying why, a request of which nothing is granted: %s', async (_, credential, scope, why) => {
    const { service } = setUp();
    const refused = await service.token(alice, credential, undefined, [scope]).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(CarinaError);
    expect((refused as CarinaError).code).toBe(ErrorCode.REGISTRY_DENIED);
    expect((refused as CarinaError).message).toMatch(why);
  });

  it('issues a token with no access when nothing is asked (docker login)', async () => {
    const { service } = setUp();
    expect((JSON.parse((await service.token(alice, 'api-key', undefined, [])).token) as { access: unknown }).access).toEqual([]);
  });

  it('refuses a token for another service name', async () => {
    const { service } = setUp();
    expect(await codeOf(service.token(alice, 'api-key', 'docker.io', ['repository:alice/app:pull']))).toBe(ErrorCode.BAD_REQUEST);
  });
});

describe('RegistryService.pullAccount', () => {
  it('answers the account a pull credential was issued to, when the username matches; nothing for one it did not issue', async () => {
    const { service, tokens } = setUp();
    const credential = await tokens.pullCredential({ accountId: alice.id, accountName: 'alice' });
    expect(await service.pullAccount('alice', credential)).toEqual(alice);
    expect(await service.pullAccount('bob', credential)).toBeUndefined();
    const foreign = await setUp().tokens.pullCredential({ accountId: alice.id, accountName: 'alice' });
    expect(await setUp().service.pullAccount('alice', foreign)).toBeUndefined(); // another signer's
  });

  it('refuses the credential of a deleted account', async () => {
    const { tokens } = setUp();
    const credential = await tokens.pullCredential({ accountId: alice.id, accountName: 'alice' });
    const deleted = new RegistryService({ store: fakeStore([bob]), tokens, contents: new FakeContents(), address: 'r:5000', caPem: '', defaultQuotaBytes: 1 });
    expect(await deleted.pullAccount('alice', credential)).toBeUndefined();
  });

  it('refuses the credential of an account since re-created under the same name (another id)', async () => {
    const { tokens } = setUp();
    const credential = await tokens.pullCredential({ accountId: alice.id, accountName: 'alice' });
    const again = new RegistryService({ store: fakeStore([account('ffffffffffffffff', 'alice')]), tokens, contents: new FakeContents(), address: 'r:5000', caPem: '', defaultQuotaBytes: 1 });
    expect(await again.pullAccount('alice', credential)).toBeUndefined();
  });

  it('refuses a credential whose account id now belongs to an account of another name', async () => {
    const { tokens } = setUp();
    const credential = await tokens.pullCredential({ accountId: alice.id, accountName: 'alice' });
    const renamed = new RegistryService({ store: fakeStore([account(alice.id, 'mallory')]), tokens, contents: new FakeContents(), address: 'r:5000', caPem: '', defaultQuotaBytes: 1 });
    expect(await renamed.pullAccount('alice', credential)).toBeUndefined();
  });
});

describe('RegistryService.deleteTag', () => {
  it('deletes a tag of the account\'s own repository', async () => {
    const { service, contents } = setUp();
    await service.deleteTag(alice, 'alice/app', '1');
    expect(contents.tags.has('alice/app:1')).toBe(false);
  });

  it('answers NOT_FOUND for another namespace\'s tag without touching it, and for a missing tag', async () => {
    const { service, contents } = setUp();
    for (const repository of ['bob/app', 'alicex/app', 'alice', 'bob/alice/app']) {
      expect(await codeOf(service.deleteTag(alice, repository, '1')), repository).toBe(ErrorCode.NOT_FOUND);
    }
    expect(contents.untagged).toEqual([]);
    expect(contents.tags.has('bob/app:1')).toBe(true);
    expect(await codeOf(service.deleteTag(alice, 'alice/app', '9'))).toBe(ErrorCode.NOT_FOUND);
  });
});

describe('RegistryService quotas', () => {
  it('answers the account\'s own quota or the default, with the namespace\'s usage, and nothing for an unknown namespace', async () => {
    const { service } = setUp();
    expect(await service.quotaOfNamespace('alice')).toEqual({ quotaBytes: 10 * 2 ** 30, usedBytes: 1234 });
    expect(await service.quotaOfNamespace('bob')).toEqual({ quotaBytes: 4 * 2 ** 20, usedBytes: 0 });
    expect(await service.quotaOfNamespace('carol')).toBeUndefined();
  });
});

/** Decodes as Go's base64.URLEncoding does (what dockerd uses for X-Registry-Auth): URL alphabet, padding required. */
function goUrlDecode(value: string): string {
  if (!/^[A-Za-z0-9_-]*={0,2}$/.test(value) || value.length % 4 !== 0) throw new Error(`illegal base64 data: ${value}`);
  return Buffer.from(value.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8');
}

describe('RegistryService.nodePullAuth', () => {
  it('is the AuthConfig JSON in base64 with padding in the URL alphabet, as dockerd decodes it', async () => {
    const { service, tokens } = setUp();
    // Suffixes that make the JSON's length 1 and 2 more than a multiple of 3 (so padding is needed), and bytes whose standard base64 holds + and /.
    const paddings = new Set<number>();
    for (const suffix of ['', '?', '??', '>>>?', '~~~~']) {
      tokens.passwordSuffix = suffix;
      const header = await service.nodePullAuth(alice);
      const expected = { username: 'alice', password: `${PULL_CREDENTIAL_PREFIX}${alice.id}${suffix}`, serveraddress: '10.0.0.5:5000' };
      expect(JSON.parse(goUrlDecode(header))).toEqual(expected);
      expect(JSON.parse(Buffer.from(header, 'base64').toString('utf8'))).toEqual(expected);
      expect(header).not.toMatch(/[+/]/);
      paddings.add(header.length - header.replace(/=+$/, '').length);
    }
    expect(paddings).toEqual(new Set([0, 1, 2]));
  });

  it('names a pull credential the service then accepts for that account', async () => {
    const { service } = setUp();
    const auth = JSON.parse(goUrlDecode(await service.nodePullAuth(alice))) as { username: string; password: string };
    expect(await service.pullAccount(auth.username, auth.password)).toEqual(alice);
  });
});
