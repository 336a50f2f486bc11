import { pathValues } from './json-fields.js';

/**
 * Which image a Docker API request makes the engine pull from a registry (and so which requests
 * need credentials for it): `POST /images/create?fromImage=…` (docker pull, docker run), `GET
 * /distribution/{name}/json` (docker service create resolving a digest), and a service's image
 * (`POST /services/create`, `/services/{id}/update`: the swarm stores the credentials with the
 * service so every node can pull). `path` is the canonical path (no API version).
 */
export function pulledImage(method: string, path: string, query: ReadonlyArray<readonly [string, string]>, body?: unknown): string | undefined {
  const m = method.toUpperCase();
  if (m === 'POST' && path === '/images/create') return query.find(([k]) => k === 'fromImage')?.[1];
  if (m === 'GET' && path.startsWith('/distribution/') && path.endsWith('/json')) return path.slice('/distribution/'.length, -'/json'.length) || undefined;
  if (m === 'POST' && (path === '/services/create' || /^\/services\/[^/]+\/update$/.test(path))) {
    const image = pathValues(body, 'tasktemplate', 'containerspec', 'image')[0];
    return typeof image === 'string' ? image : undefined;
  }
  return undefined;
}

/** Whether an `X-Registry-Auth` value carries credentials (docker sends `{}` when not logged in). */
export function carriesCredentials(header: string | undefined): boolean {
  if (header === undefined || header.trim() === '') return false;
  try {
    const auth = JSON.parse(Buffer.from(header.trim(), 'base64url').toString('utf8')) as Record<string, unknown>;
    return ['username', 'password', 'identitytoken', 'registrytoken', 'auth'].some((k) => typeof auth[k] === 'string' && auth[k] !== '');
  } catch {
    return false;
  }
}

/**
 * The `X-Registry-Auth` to send instead of the client's: the account's pull credential when the
 * request pulls from Carina's registry (`address`) and the client brought no credentials of its own
 * (a plain `docker service create REGISTRY/alice/app:1`, no login on the client's machine needed);
 * undefined to leave the request as it is.
 */
export function pullAuthToInject(image: string | undefined, address: string, clientHeader: string | undefined, pullAuth: string): string | undefined {
  if (image === undefined || !image.startsWith(`${address}/`)) return undefined;
  return carriesCredentials(clientHeader) ? undefined : pullAuth;
}
