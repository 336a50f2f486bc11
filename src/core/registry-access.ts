/**
 * Who may do what in the registry (Docker Registry v2 token authentication): pure rules, no IO.
 * An account owns the namespace named after it: with its API key it may pull and push
 * `<account>/…`; with the pull credential the platform gives its clusters' nodes, only pull. Nothing
 * else is ever granted — not another account's repositories, not the catalog.
 */

/** How a pull credential (the nodes' password for the registry) begins, so it is never taken for an API key. */
export const PULL_CREDENTIAL_PREFIX = 'carina_pull.';

/** One entry of a token's `access` claim (and of a requested `scope`). */
export interface RegistryAccess {
  readonly type: string;
  readonly name: string;
  readonly actions: readonly string[];
}

/** How the caller proved who it is: the account's API key, or the nodes' pull-only credential. */
export type RegistryCredential = 'api-key' | 'pull';

const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*';
/** Distribution's repository name grammar (reference/regexp.go): path components of lowercase alphanumerics and separators. */
const REPOSITORY_NAME = new RegExp(`^${COMPONENT}(?:/${COMPONENT})*$`);
const MAX_NAME = 255;
const TAG = /^[\w][\w.-]{0,127}$/;

/** Whether `name` is a repository name the registry accepts. */
export function isRepositoryName(name: string): boolean {
  return name.length <= MAX_NAME && REPOSITORY_NAME.test(name);
}

/** Whether `tag` is a valid tag. */
export function isTag(tag: string): boolean {
  return TAG.test(tag);
}

/** The namespace of an account, or why it has none (account names allow `_`/`-` where the registry does not). */
export function namespaceOf(accountName: string): { namespace: string } | { problem: string } {
  if (new RegExp(`^${COMPONENT}$`).test(accountName)) return { namespace: accountName };
  return { problem: `the account name "${accountName}" is not a valid registry namespace (it must not end with, or combine, "_" and "-")` };
}

/**
 * The scopes of a token request: `type:name:actions` each (`repository:alice/app:pull,push`); the
 * name may hold colons (a registry host with a port), so type is up to the first colon and the
 * actions after the last. Malformed scopes are dropped: they are simply not granted.
 */
export function parseScopes(scopes: readonly string[]): RegistryAccess[] {
  const out: RegistryAccess[] = [];
  for (const raw of scopes.flatMap((s) => s.split(' '))) {
    const first = raw.indexOf(':');
    const last = raw.lastIndexOf(':');
    if (first < 1 || last <= first + 1 || last === raw.length - 1) continue;
    const actions = raw.slice(last + 1).split(',').filter((a) => a !== '');
    out.push({ type: raw.slice(0, first), name: raw.slice(first + 1, last), actions });
  }
  return out;
}

const ALLOWED: Readonly<Record<RegistryCredential, ReadonlySet<string>>> = {
  'api-key': new Set(['pull', 'push']),
  pull: new Set(['pull']),
};

/**
 * What the token grants of what was asked: repositories of the account's own namespace only, and of
 * the asked actions only those the credential allows. What is not granted is left out (the token
 * spec's way to refuse: the registry then answers 401/403 for it).
 */
export function grant(namespace: string, credential: RegistryCredential, requested: readonly RegistryAccess[]): RegistryAccess[] {
  const granted: RegistryAccess[] = [];
  for (const r of requested) {
    if (r.type !== 'repository' || !isRepositoryName(r.name) || !r.name.startsWith(`${namespace}/`)) continue;
    const actions = [...new Set(r.actions.filter((a) => ALLOWED[credential].has(a)))];
    if (actions.length > 0) granted.push({ type: 'repository', name: r.name, actions });
  }
  return granted;
}

/**
 * A user's reference to one of its tags, in any of the forms people type: `app:1`, `alice/app:1`,
 * `REGISTRY/alice/app:1`. Answers the full repository name and the tag, or why it is not one.
 */
export function tagReference(input: string, namespace: string, address: string): { repository: string; tag: string } | { problem: string } {
  let rest = input.trim();
  if (rest.startsWith(`${address}/`)) rest = rest.slice(address.length + 1);
  const colon = rest.lastIndexOf(':');
  if (colon < 1 || rest.slice(colon).includes('/')) return { problem: `"${input}" names no tag: write REPOSITORY:TAG, e.g. app:1` };
  const tag = rest.slice(colon + 1);
  let repository = rest.slice(0, colon);
  if (!repository.startsWith(`${namespace}/`)) repository = `${namespace}/${repository}`;
  if (!isRepositoryName(repository)) return { problem: `"${repository}" is not a valid repository name (lowercase letters, digits and . _ - separators, parts joined by /)` };
  if (!isTag(tag)) return { problem: `"${tag}" is not a valid tag (letters, digits, _ . -, at most 128)` };
  return { repository, tag };
}

/** The namespace (first path component) of a repository name. */
export function namespaceOfRepository(repository: string): string {
  const slash = repository.indexOf('/');
  return slash < 0 ? repository : repository.slice(0, slash);
}
