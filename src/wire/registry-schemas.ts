import { Type, type Static } from '@sinclair/typebox';

/** `GET /v1/registry`: where the account's private registry is and how much of its quota is used. */
export const RegistryInfo = Type.Object({
  address: Type.String({ description: 'HOST:PORT of the registry: tag images as ADDRESS/NAMESPACE/NAME:TAG' }),
  namespace: Type.String({ description: 'the account name: the only namespace it may push to and pull from' }),
  quota_bytes: Type.Integer({ description: 'storage the account may use' }),
  used_bytes: Type.Integer({ description: 'storage used: every distinct blob of its repositories, tagged or not until garbage collection' }),
  ca_pem: Type.String({ description: "the CA that issued the registry's certificate: a docker daemon trusts it from /etc/docker/certs.d/ADDRESS/ca.crt" }),
});
/** The account's registry. */
export type RegistryInfo = Static<typeof RegistryInfo>;

/** One tag of a repository. */
export const RegistryTag = Type.Object({
  name: Type.String(),
  digest: Type.String({ description: 'the manifest digest (sha256:…)' }),
  size_bytes: Type.Integer({ description: 'the image: manifest, config and layers' }),
});
/** One tag of a repository. */
export type RegistryTag = Static<typeof RegistryTag>;

/** One repository of the account's namespace. */
export const Repository = Type.Object({
  name: Type.String({ description: 'the full name, NAMESPACE/NAME' }),
  tags: Type.Array(RegistryTag),
  size_bytes: Type.Integer({ description: 'distinct blobs the repository holds' }),
});
/** One repository. */
export type Repository = Static<typeof Repository>;

/** `GET /v1/registry/repositories`. */
export const RepositoryList = Type.Object({
  repositories: Type.Array(Repository),
  used_bytes: Type.Integer(),
  quota_bytes: Type.Integer(),
});
/** The account's repositories. */
export type RepositoryList = Static<typeof RepositoryList>;

/** `DELETE /v1/registry/repositories/{repository}/tags/{tag}`: the repository's full name, URL-encoded (`alice%2Fapp`). */
export const RegistryTagParams = Type.Object({
  repository: Type.String({ minLength: 1, maxLength: 255 }),
  tag: Type.String({ minLength: 1, maxLength: 128 }),
});
/** Which tag to delete. */
export type RegistryTagParams = Static<typeof RegistryTagParams>;
