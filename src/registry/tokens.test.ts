import { X509Certificate } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, importSPKI, jwtVerify } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { PULL_CREDENTIAL_PREFIX } from '../core/registry-access.js';
import { X509Pki } from '../pki/x509-pki.js';
import { RegistryTokenSigner } from './tokens.js';

// Tokens as Distribution's token auth reads them (docs/spec/auth/jwt.md), signed with a real key
// from the PKI, and the nodes' pull credentials, which only the token route accepts.
describe('RegistryTokenSigner', () => {
  let ca: { caCert: string; caKey: string };
  let signer: RegistryTokenSigner;

  beforeAll(async () => {
    ca = await new X509Pki().createCa('carina-registry-token');
    signer = await RegistryTokenSigner.create({ certPem: ca.caCert, keyPem: ca.caKey, issuer: 'carina', service: 'carina-registry' });
  });

  const access = [{ type: 'repository', name: 'alice/app', actions: ['pull', 'push'] }];

  it('signs ES256 with the signing certificate as the first x5c element (what Distribution checks against its rootcertbundle)', async () => {
    const header = decodeProtectedHeader(await signer.issue('alice', access, 300));
    expect(header.alg).toBe('ES256');
    expect(header.x5c?.[0]).toBe(new X509Certificate(ca.caCert).raw.toString('base64'));
  });

  it('carries the claims the token spec asks for: iss, sub, a string aud, exp/nbf/iat, a jti and the access granted', async () => {
    const before = Math.floor(Date.now() / 1000);
    const claims = decodeJwt(await signer.issue('alice', access, 300));
    expect(claims).toMatchObject({ iss: 'carina', sub: 'alice', aud: 'carina-registry', access });
    expect(typeof claims.aud).toBe('string'); // Distribution 2.8 also takes an array, older clients only a string
    expect(claims.iat).toBeGreaterThanOrEqual(before);
    expect(claims.nbf).toBe(claims.iat);
    expect(claims.exp).toBe((claims.iat ?? 0) + 300);
    expect(claims.jti).toMatch(/^[\w-]{16}$/);
    expect(decodeJwt(await signer.issue('alice', access, 300)).jti).not.toBe(claims.jti);
  });

  it('verifies with jose against the certificate\'s public key, for the registry\'s service only', async () => {
    const spki = new X509Certificate(ca.caCert).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const key = await importSPKI(spki, 'ES256');
    const token = await signer.issue('alice', [], 60);
    const { payload } = await jwtVerify(token, key, { issuer: 'carina', audience: 'carina-registry', algorithms: ['ES256'] });
    expect(payload.access).toEqual([]);
    await expect(jwtVerify(token, key, { audience: 'carina-registry-pull' })).rejects.toThrow(/aud/);
  });

  it('verifies its own pull credentials and answers who they were issued to', async () => {
    const credential = await signer.pullCredential({ accountId: 'a1b2c3d4e5f60718', accountName: 'alice' });
    expect(credential.startsWith(PULL_CREDENTIAL_PREFIX)).toBe(true);
    expect(await signer.verifyPullCredential(credential)).toEqual({ accountId: 'a1b2c3d4e5f60718', accountName: 'alice' });
  });

  it('refuses a tampered pull credential, one signed by another key, and anything without the prefix', async () => {
    const credential = await signer.pullCredential({ accountId: 'a1b2c3d4e5f60718', accountName: 'alice' });
    const [head = '', , signature = ''] = credential.slice(PULL_CREDENTIAL_PREFIX.length).split('.');
    const forgedClaims = Buffer.from(JSON.stringify({ acct: 'ffffffffffffffff', sub: 'bob', iss: 'carina', aud: 'carina-registry-pull' })).toString('base64url');
    expect(await signer.verifyPullCredential(`${PULL_CREDENTIAL_PREFIX}${head}.${forgedClaims}.${signature}`)).toBeUndefined();

    const other = await new X509Pki().createCa('another');
    const stranger = await RegistryTokenSigner.create({ certPem: other.caCert, keyPem: other.caKey, issuer: 'carina', service: 'carina-registry' });
    const foreign = await stranger.pullCredential({ accountId: 'a1b2c3d4e5f60718', accountName: 'alice' });
    expect(await stranger.verifyPullCredential(foreign)).toBeDefined();
    expect(await signer.verifyPullCredential(foreign)).toBeUndefined();

    expect(await signer.verifyPullCredential(credential.slice(PULL_CREDENTIAL_PREFIX.length))).toBeUndefined();
    expect(await signer.verifyPullCredential(`${PULL_CREDENTIAL_PREFIX}not-a-jwt`)).toBeUndefined();
  });

  it('never takes a registry bearer token for a pull credential (another audience), even with the prefix', async () => {
    const bearer = await signer.issue('alice', access, 300);
    expect(await signer.verifyPullCredential(`${PULL_CREDENTIAL_PREFIX}${bearer}`)).toBeUndefined();
  });
  it('allows the front to serve a blob only for a valid token of its own granting pull of that repository', async () => {
    const pull = await signer.issue('alice', [{ type: 'repository', name: 'alice/app', actions: ['pull'] }], 300);
    const pushOnly = await signer.issue('alice', [{ type: 'repository', name: 'alice/app', actions: ['push'] }], 300);
    const expired = await signer.issue('alice', [{ type: 'repository', name: 'alice/app', actions: ['pull'] }], -120);
    const other = await new X509Pki().createCa('other');
    const stranger = await RegistryTokenSigner.create({ certPem: other.caCert, keyPem: other.caKey, issuer: 'carina', service: 'carina-registry' });
    const forged = await stranger.issue('alice', [{ type: 'repository', name: 'alice/app', actions: ['pull'] }], 300);
    expect(await signer.allowsPull(`Bearer ${pull}`, 'alice/app')).toBe(true);
    expect(await signer.allowsPull(`Bearer ${pull}`, 'alice/other')).toBe(false);
    expect(await signer.allowsPull(`Bearer ${pushOnly}`, 'alice/app')).toBe(false);
    expect(await signer.allowsPull(`Bearer ${expired}`, 'alice/app')).toBe(false);
    expect(await signer.allowsPull(`Bearer ${forged}`, 'alice/app')).toBe(false);
    expect(await signer.allowsPull(`Basic ${pull}`, 'alice/app')).toBe(false);
    expect(await signer.allowsPull(undefined, 'alice/app')).toBe(false);
    // A pull credential is not a bearer token for the registry (another audience).
    const credential = await signer.pullCredential({ accountId: 'a1', accountName: 'alice' });
    expect(await signer.allowsPull(`Bearer ${credential.slice(PULL_CREDENTIAL_PREFIX.length)}`, 'alice/app')).toBe(false);
  });
});
