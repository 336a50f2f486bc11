import { randomBytes, X509Certificate } from 'node:crypto';
import { importPKCS8, importSPKI, jwtVerify, SignJWT, type CryptoKey } from 'jose';
import { PULL_CREDENTIAL_PREFIX, type RegistryAccess } from '../core/registry-access.js';
import type { PullIdentity, RegistryTokens } from '../core/registry-service.js';

/** The `aud` of pull credentials: never accepted by the registry itself, only by the token route. */
const PULL_AUDIENCE = 'carina-registry-pull';

/**
 * Signs the registry's bearer tokens (Docker Registry v2 token spec: ES256, the signing certificate
 * in the `x5c` header, which Distribution verifies against its `rootcertbundle`) and the nodes'
 * pull credentials, with jose.
 */
export class RegistryTokenSigner implements RegistryTokens {
  readonly #key: CryptoKey;
  readonly #publicKey: CryptoKey;
  readonly #x5c: string;
  readonly #issuer: string;
  readonly #service: string;

  private constructor(key: CryptoKey, publicKey: CryptoKey, x5c: string, issuer: string, service: string) {
    this.#key = key;
    this.#publicKey = publicKey;
    this.#x5c = x5c;
    this.#issuer = issuer;
    this.#service = service;
  }

  /** A signer with the certificate (PEM) and PKCS#8 key (PEM) the registry trusts. */
  static async create(opts: { certPem: string; keyPem: string; issuer: string; service: string }): Promise<RegistryTokenSigner> {
    const cert = new X509Certificate(opts.certPem);
    const spki = cert.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    return new RegistryTokenSigner(
      await importPKCS8(opts.keyPem, 'ES256'),
      await importSPKI(spki, 'ES256'),
      cert.raw.toString('base64'),
      opts.issuer,
      opts.service,
    );
  }

  get service(): string {
    return this.#service;
  }

  async issue(subject: string, access: readonly RegistryAccess[], ttlSeconds: number): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ access: access.map((a) => ({ type: a.type, name: a.name, actions: [...a.actions] })) })
      .setProtectedHeader({ alg: 'ES256', typ: 'JWT', x5c: [this.#x5c] })
      .setIssuer(this.#issuer)
      .setSubject(subject)
      .setAudience(this.#service)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + ttlSeconds)
      .setJti(randomBytes(12).toString('base64url'))
      .sign(this.#key);
  }

  /**
   * Whether `authorization` (`Bearer <token>`) is a token of this signer, for this registry, still
   * valid (with the registry's own 60 s leeway), whose `access` grants pull of `repository`: the same
   * decision docker-registry makes, for the blobs the front serves itself.
   */
  async allowsPull(authorization: string | undefined, repository: string): Promise<boolean> {
    const token = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
    if (!token) return false;
    try {
      const { payload } = await jwtVerify(token, this.#publicKey, { issuer: this.#issuer, audience: this.#service, algorithms: ['ES256'], clockTolerance: 60 });
      const access = Array.isArray(payload.access) ? (payload.access as unknown[]) : [];
      return access.some((a) => {
        const entry = a as { type?: unknown; name?: unknown; actions?: unknown };
        return entry.type === 'repository' && entry.name === repository && Array.isArray(entry.actions) && entry.actions.includes('pull');
      });
    } catch {
      return false;
    }
  }

  async pullCredential(identity: PullIdentity): Promise<string> {
    const jwt = await new SignJWT({ acct: identity.accountId })
      .setProtectedHeader({ alg: 'ES256', typ: 'JWT' })
      .setIssuer(this.#issuer)
      .setSubject(identity.accountName)
      .setAudience(PULL_AUDIENCE)
      .setIssuedAt()
      .sign(this.#key);
    return `${PULL_CREDENTIAL_PREFIX}${jwt}`;
  }

  async verifyPullCredential(password: string): Promise<PullIdentity | undefined> {
    if (!password.startsWith(PULL_CREDENTIAL_PREFIX)) return undefined;
    try {
      const { payload } = await jwtVerify(password.slice(PULL_CREDENTIAL_PREFIX.length), this.#publicKey, {
        issuer: this.#issuer,
        audience: PULL_AUDIENCE,
        algorithms: ['ES256'],
      });
      const accountId = payload.acct;
      if (typeof accountId !== 'string' || typeof payload.sub !== 'string') return undefined;
      return { accountId, accountName: payload.sub };
    } catch {
      return undefined;
    }
  }
}
