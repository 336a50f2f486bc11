import { usageError } from './errors.js';

/** A tag of a repository in the account's registry, as the API names it (`alice/app`, `1`). */
export interface TagRef {
  /** The full name, NAMESPACE/NAME. */
  readonly repository: string;
  readonly tag: string;
}

/** Where the account's registry is and which namespace is its own (from `GET /v1/registry`). */
export interface RegistryPlace {
  readonly address: string;
  readonly namespace: string;
}

// Docker Distribution's grammar: a path component, and a tag.
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
/** What the API accepts as a repository's full name. */
const MAX_REPOSITORY = 255;

/** True when the first component of a reference names a registry host (docker's rule: a dot, a port, or localhost). */
const looksLikeHost = (component: string) => component.includes('.') || component.includes(':') || component === 'localhost';

/**
 * The tag `ref` means in the account's registry. `ref` is `[ADDRESS/][NAMESPACE/]NAME:TAG`, so
 * `app:1`, `alice/app:1` and `ADDRESS/alice/app:1` all mean `alice/app:1`: docker's own spelling
 * (with the address) can be pasted as is. A name whose first component is not the namespace is
 * taken inside it (`team/app:1` → `alice/team/app:1`). Throws a usage error naming what is wrong.
 */
export function parseTagRef(ref: string, registry: RegistryPlace): TagRef {
  const text = ref.trim();
  const usage = (why: string) => usageError(`"${ref}" is not a tag of your registry: ${why}`);
  if (text.includes('@')) throw usage('rm deletes a tag, not a digest: give REPOSITORY:TAG (see "carina registry ls")');
  const slash = text.lastIndexOf('/');
  const colon = text.lastIndexOf(':');
  if (colon <= slash) throw usage('give the tag too, as in app:1');
  const tag = text.slice(colon + 1);
  if (!TAG.test(tag)) throw usage(`the tag "${tag}" is not valid (letters, digits, "_", "." and "-", at most 128, not starting with "." or "-")`);
  let parts = text.slice(0, colon).split('/');
  const first = parts[0] ?? '';
  if (parts.length > 1 && first.toLowerCase() === registry.address.toLowerCase()) {
    parts = parts.slice(1);
  } else if (parts.length > 1 && first !== registry.namespace && looksLikeHost(first)) {
    throw usage(`${first} is not your registry (${registry.address})`);
  }
  if (parts[0] === registry.namespace && parts.length > 1) parts = parts.slice(1);
  if (parts.length === 0 || parts.some((p) => !COMPONENT.test(p))) {
    throw usage('a repository name is lowercase letters and digits, separated by "/", and within a part by ".", "_", "__" or "-"');
  }
  const repository = [registry.namespace, ...parts].join('/');
  if (repository.length > MAX_REPOSITORY) throw usage(`the repository's full name is longer than ${MAX_REPOSITORY} characters`);
  return { repository, tag };
}

/** `REPOSITORY:TAG`, as docker and the CLI's messages write it. */
export const tagName = (ref: TagRef) => `${ref.repository}:${ref.tag}`;
