import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CarinaError, ErrorCode } from '../core/errors.js';
import { PULL_CREDENTIAL_PREFIX, type RegistryCredential } from '../core/registry-access.js';
import type { RegistryService } from '../core/registry-service.js';
import type { Account } from '../core/types.js';
import type { RegistryInfo, RegistryTagParams, RepositoryList } from '../wire/registry-schemas.js';
import type { Authenticator } from './authenticator.js';
import { wireRoute } from './wire-route.js';

const accountOf = (request: FastifyRequest): Account => {
  if (!request.account) throw new Error('route registered without authentication');
  return request.account;
};

function unavailable(): CarinaError {
  return new CarinaError(ErrorCode.REGISTRY_UNAVAILABLE, 'this Carina server runs no registry (CARINA_REGISTRY=off, or Debian\'s docker-registry is not installed on it)');
}

/** `/v1/registry…`: the account's registry, its repositories and tags. */
export function registerRegistryRoutes(app: FastifyInstance, registry: RegistryService | undefined): void {
  const service = (): RegistryService => {
    if (!registry) throw unavailable();
    return registry;
  };

  app.route({
    ...wireRoute('registry'),
    handler: async (req): Promise<RegistryInfo> => {
      const d = await service().describe(accountOf(req));
      return { address: d.address, namespace: d.namespace, quota_bytes: d.quotaBytes, used_bytes: d.usedBytes, ca_pem: d.caPem };
    },
  });

  app.route({
    ...wireRoute('repositories'),
    handler: async (req): Promise<RepositoryList> => {
      const r = await service().repositories(accountOf(req));
      return {
        repositories: r.repositories.map((repo) => ({
          name: repo.name,
          size_bytes: repo.sizeBytes,
          tags: repo.tags.map((t) => ({ name: t.name, digest: t.digest, size_bytes: t.sizeBytes })),
        })),
        used_bytes: r.usedBytes,
        quota_bytes: r.quotaBytes,
      };
    },
  });

  app.route<{ Params: RegistryTagParams }>({
    ...wireRoute('deleteTag'),
    handler: async (req, reply) => {
      await service().deleteTag(accountOf(req), req.params.repository, req.params.tag);
      return reply.status(204).send();
    },
  });
}

/** Distribution's error codes for the token route's failures (the docker client prints their messages). */
const DOCKER_CODES: Partial<Record<string, string>> = {
  [ErrorCode.UNAUTHORIZED]: 'UNAUTHORIZED',
  [ErrorCode.RATE_LIMITED]: 'TOOMANYREQUESTS',
  [ErrorCode.BAD_REQUEST]: 'UNSUPPORTED',
  [ErrorCode.REGISTRY_UNAVAILABLE]: 'DENIED',
  [ErrorCode.REGISTRY_DENIED]: 'DENIED',
};

function dockerError(reply: FastifyReply, status: number, code: string, message: string) {
  return reply
    .status(status)
    .header('content-type', 'application/json; charset=utf-8')
    .send(JSON.stringify({ errors: [{ code, message, detail: null }] }));
}

/**
 * `GET /registry/token`: the token server of Docker Registry v2 token authentication (the
 * registry's front answers `GET https://REGISTRY/token` with it). HTTP Basic with the account's
 * name and API key (push and pull of its namespace) or with the nodes' pull credential (pull only).
 * Speaks Distribution's JSON, not the /v1 API's: its client is the docker daemon.
 */
export function registerRegistryTokenRoute(app: FastifyInstance, registry: RegistryService | undefined, auth: Authenticator): void {
  app.get<{ Querystring: Record<string, string | string[] | undefined> }>('/registry/token', { schema: { hide: true } }, async (req, reply) => {
    if (!registry) return dockerError(reply, 503, 'UNAVAILABLE', unavailable().message);
    const header = req.headers.authorization;
    if (!header) {
      void reply.header('www-authenticate', 'Basic realm="Carina registry"');
      return dockerError(reply, 401, 'UNAUTHORIZED', `authentication required: docker login ${registry.address} -u <Carina username> -p <API key> (carina registry login does it)`);
    }
    const scopes = [req.query.scope ?? []].flat();
    const service = typeof req.query.service === 'string' ? req.query.service : undefined;
    try {
      let account: Account | undefined;
      let credential: RegistryCredential = 'api-key';
      const basic = /^basic\s+(.+)$/i.exec(header);
      const decoded = basic?.[1] ? Buffer.from(basic[1], 'base64').toString('utf8') : '';
      const colon = decoded.indexOf(':');
      if (colon > 0 && decoded.slice(colon + 1).startsWith(PULL_CREDENTIAL_PREFIX)) {
        account = await registry.pullAccount(decoded.slice(0, colon), decoded.slice(colon + 1));
        if (!account) throw new CarinaError(ErrorCode.UNAUTHORIZED, 'invalid pull credential');
        credential = 'pull';
      } else {
        account = await auth.authenticate(header, req.ip);
      }
      const issued = await registry.token(account, credential, service, scopes);
      return reply.header('cache-control', 'no-store').send({
        token: issued.token,
        access_token: issued.token,
        expires_in: issued.expiresIn,
        issued_at: issued.issuedAt.toISOString(),
      });
    } catch (e) {
      if (!(e instanceof CarinaError)) throw e;
      const status =
        e.code === ErrorCode.RATE_LIMITED ? 429
        : e.code === ErrorCode.BAD_REQUEST ? 400
        : e.code === ErrorCode.REGISTRY_UNAVAILABLE || e.code === ErrorCode.REGISTRY_DENIED ? 403
        : e.code === ErrorCode.STORE_UNAVAILABLE ? 503
        : 401;
      const retryAfter = e.details?.retryAfterSeconds;
      if (typeof retryAfter === 'number') void reply.header('retry-after', String(retryAfter));
      const hint = status === 401 ? `: log in with your Carina username and API key (docker login ${registry.address})` : '';
      return dockerError(reply, status, DOCKER_CODES[e.code] ?? 'UNAUTHORIZED', `${e.message}${hint}`);
    }
  });
}
