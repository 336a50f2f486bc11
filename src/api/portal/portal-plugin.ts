import { timingSafeEqual } from 'node:crypto';
import fastifyCookie, { type CookieSerializeOptions } from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CarinaError, ErrorCode } from '../../core/errors.js';
import type { Account } from '../../core/types.js';
import { SESSION_LIMITS, type Session, type SessionService } from '../../core/session-service.js';
import type { Authenticator } from '../authenticator.js';
import type * as Json from '../../wire/account-schemas.js';
import { wireRoute } from '../wire-route.js';
import { defaultWebRoot, registerStaticSite } from './static-site.js';

export const SESSION_COOKIE = 'carina_session';
/** The session cookie: for the whole site, unreadable by scripts (HttpOnly), never sent by other sites (SameSite=Strict), Secure when the request came over HTTPS. */
const SESSION_COOKIE_FLAGS: Readonly<CookieSerializeOptions> = Object.freeze({ path: '/', httpOnly: true, sameSite: 'strict', secure: 'auto' });
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface PortalDeps {
  readonly sessions: SessionService;
  readonly auth: Authenticator;
  /** The built app (default: this package's web/dist). */
  readonly webRoot?: string;
}

/** What the API's auth hook asks the portal. */
export interface Portal {
  /**
   * The account of a cookie-authenticated request; undefined when the request carries an
   * Authorization header or no session cookie (the header decides then). Throws UNAUTHORIZED for a
   * dead session and CSRF for a write without the session's X-CSRF-Token.
   */
  sessionAccount(request: FastifyRequest): Promise<Account | undefined>;
}

const signInAgain = (why: string) => new CarinaError(ErrorCode.UNAUTHORIZED, `${why}: sign in again`);

function sameToken(sent: string | string[] | undefined, expected: string): boolean {
  if (typeof sent !== 'string') return false;
  const a = Buffer.from(sent);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Sessions at `/v1/session`, cookie authentication for `/v1/*`, and the portal app at `/`. */
export async function registerPortal(app: FastifyInstance, deps: PortalDeps): Promise<Portal> {
  const { sessions } = deps;
  // Parses every request's Cookie header (first value of a name wins) and serialises Set-Cookie for all routes, /v1 included.
  await app.register(fastifyCookie);

  const cookieOf = (request: FastifyRequest) => request.cookies[SESSION_COOKIE];
  const setCookie = (reply: FastifyReply, value: string, maxAgeMs: number) =>
    reply.setCookie(SESSION_COOKIE, value, { ...SESSION_COOKIE_FLAGS, maxAge: Math.max(0, Math.floor(maxAgeMs / 1000)) });
  const present = (account: Account, session: Session): Json.Session => ({
    username: account.name,
    csrf_token: session.csrfToken,
    expires_at: new Date(session.expiresAt).toISOString(),
  });

  app.route<{ Body: Json.SignIn }>({
    ...wireRoute('signIn'),
    handler: async (request, reply) => {
      const { username, apikey } = request.body;
      // HTTP Basic semantics: the key must belong to the account named `username`.
      const account = await deps.auth.authenticate(`Basic ${Buffer.from(`${username}:${apikey}`).toString('base64')}`, request.ip).catch((e: unknown) => {
        if (e instanceof CarinaError && e.code === ErrorCode.UNAUTHORIZED) {
          throw new CarinaError(ErrorCode.UNAUTHORIZED, 'that username and API key do not match: check both (an admin prints a new key with `carina-server accounts rotate-key NAME`)');
        }
        throw e;
      });
      const { id, session } = await sessions.signIn(account, cookieOf(request));
      setCookie(reply, id, SESSION_LIMITS.ttlMs);
      return reply.header('cache-control', 'no-store').send(present(account, session));
    },
  });

  app.route({
    ...wireRoute('whoAmI'),
    handler: async (request, reply) => {
      const id = cookieOf(request);
      const found = id === undefined ? undefined : await sessions.live(id);
      if (!found) throw new CarinaError(ErrorCode.UNAUTHORIZED, 'not signed in: POST /v1/session with your username and API key');
      return reply.header('cache-control', 'no-store').send(present(found.account, found.session));
    },
  });

  app.route({
    ...wireRoute('signOut'),
    handler: async (request, reply) => {
      const id = cookieOf(request);
      const found = id === undefined ? undefined : await sessions.live(id);
      if (found && !sameToken(request.headers['x-csrf-token'], found.session.csrfToken)) {
        throw new CarinaError(ErrorCode.CSRF, 'sign-out needs the X-CSRF-Token header of the session');
      }
      if (id !== undefined) await sessions.signOut(id);
      setCookie(reply, '', 0);
      return reply.status(204).send();
    },
  });

  await registerStaticSite(app, deps.webRoot ?? defaultWebRoot());
  // API answers too: a browser must never guess another type for a JSON or zip body.
  app.addHook('onSend', async (_request, reply, payload) => {
    if (!reply.hasHeader('x-content-type-options')) void reply.header('x-content-type-options', 'nosniff');
    return payload;
  });

  return {
    async sessionAccount(request) {
      if (request.headers.authorization !== undefined) return undefined;
      const id = cookieOf(request);
      if (id === undefined) return undefined;
      const found = await sessions.live(id);
      if (!found) throw signInAgain('your portal session has expired, was signed out, or your API key was rotated');
      if (!SAFE_METHODS.has(request.method) && !sameToken(request.headers['x-csrf-token'], found.session.csrfToken)) {
        throw new CarinaError(ErrorCode.CSRF, 'cookie-authenticated writes need the X-CSRF-Token header that POST /v1/session returned: reload the portal');
      }
      return found.account;
    },
  };
}
