import { X509Certificate as NodeX509, createPrivateKey, createPublicKey } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import * as tls from 'node:tls';
import * as x509 from '@peculiar/x509';
import { beforeAll, describe, expect, it } from 'vitest';
import type { PkiSubject } from '../core/ports.js';
import type { ClusterPki } from '../core/types.js';
import { X509Pki } from './x509-pki.js';

const subject: PkiSubject = {
  clusterId: 'c-1',
  clusterName: 'web_prod',
  accountName: 'alice',
  dnsNames: ['web_prod.alice.carina.local', 'carina.example.test'],
  ipAddresses: ['10.1.2.3', 'fd00::7'],
};
const DNS = 'web_prod.alice.carina.local';

let pki: ClusterPki;
let other: ClusterPki;
beforeAll(async () => {
  const issuer = new X509Pki();
  pki = await issuer.createClusterPki(subject);
  other = await issuer.createClusterPki({ ...subject, clusterId: 'c-2', clusterName: 'other' });
});

const parse = (pem: string) => new x509.X509Certificate(pem);
const ext = <T extends x509.Extension>(pem: string, type: new (raw: ArrayBuffer) => T): T => {
  const found = parse(pem).getExtension(type);
  if (!found) throw new Error(`missing ${type.name}`);
  return found;
};
const verifies = (pem: string, caPem: string) =>
  parse(pem).verify({ publicKey: parse(caPem).publicKey, signatureOnly: true });

describe('X509Pki certificates', () => {
  it('issues a self-signed CA with critical CA:true basic constraints', async () => {
    const ca = parse(pki.caCert);
    expect(ca.subject).toBe('CN=Carina CA web_prod (alice), O=Carina');
    expect(ca.issuer).toBe(ca.subject);
    expect(await ca.isSelfSigned()).toBe(true);
    const bc = ext(pki.caCert, x509.BasicConstraintsExtension);
    expect(bc.ca).toBe(true);
    expect(bc.critical).toBe(true);
    expect(ext(pki.caCert, x509.KeyUsagesExtension).usages).toBe(
      x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
    );
    expect(ca.serialNumber).toMatch(/^[0-9a-f]{32}$/);
  });

  it('issues a server certificate signed by the CA, valid for all names and addresses', async () => {
    const server = parse(pki.serverCert);
    expect(server.subject).toBe(`CN=${DNS}`);
    expect(await verifies(pki.serverCert, pki.caCert)).toBe(true);
    const sans = ext(pki.serverCert, x509.SubjectAlternativeNameExtension).names.toJSON();
    expect(sans).toEqual(expect.arrayContaining([
      { type: 'dns', value: DNS },
      { type: 'dns', value: 'carina.example.test' },
      { type: 'dns', value: 'localhost' },
      { type: 'ip', value: '10.1.2.3' },
      { type: 'ip', value: '127.0.0.1' },
    ]));
    expect(ext(pki.serverCert, x509.ExtendedKeyUsageExtension).usages).toEqual([x509.ExtendedKeyUsage.serverAuth]);
    expect(ext(pki.serverCert, x509.BasicConstraintsExtension).ca).toBe(false);
    // Cross-check with OpenSSL (node:crypto): chain and host/IP matching.
    const node = new NodeX509(pki.serverCert);
    expect(node.checkIssued(new NodeX509(pki.caCert))).toBe(true);
    expect(node.verify(new NodeX509(pki.caCert).publicKey)).toBe(true);
    expect(node.checkHost(DNS)).toBe(DNS);
    expect(node.checkIP('fd00::7')).toBe('fd00::7');
    expect(node.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(node.checkIP('10.9.9.9')).toBeUndefined();
  });

  it('issues a client certificate for the account', async () => {
    const client = parse(pki.clientCert);
    expect(client.subject).toBe('CN=alice');
    expect(await verifies(pki.clientCert, pki.caCert)).toBe(true);
    expect(ext(pki.clientCert, x509.ExtendedKeyUsageExtension).usages).toEqual([x509.ExtendedKeyUsage.clientAuth]);
    expect(pki.clientSerial).toBe(client.serialNumber);
    expect(pki.clientSerial).not.toBe(parse(pki.serverCert).serialNumber);
  });

  it('does not accept certificates of another cluster', async () => {
    expect(await verifies(other.clientCert, pki.caCert)).toBe(false);
    expect(await verifies(other.serverCert, pki.caCert)).toBe(false);
    expect(new NodeX509(other.clientCert).verify(new NodeX509(pki.caCert).publicKey)).toBe(false);
  });

  it('emits PKCS#8 keys matching their certificates', () => {
    const pairs: [string, string][] = [[pki.caKey, pki.caCert], [pki.serverKey, pki.serverCert], [pki.clientKey, pki.clientCert]];
    for (const [key, cert] of pairs) {
      expect(key).toMatch(/^-----BEGIN PRIVATE KEY-----\n[\s\S]+-----END PRIVATE KEY-----\n$/);
      const fromKey = createPublicKey(createPrivateKey(key)).export({ type: 'spki', format: 'der' });
      expect(fromKey.equals(new NodeX509(cert).publicKey.export({ type: 'spki', format: 'der' }))).toBe(true);
    }
  });

  it('backdates notBefore by a minute; CA valid 10 years, leaves 5', async () => {
    const now = new Date('2030-01-15T12:00:00Z');
    const fixed = await new X509Pki({ now: () => now }).createClusterPki(subject);
    expect(parse(fixed.caCert).notBefore.toISOString()).toBe('2030-01-15T11:59:00.000Z');
    expect(parse(fixed.caCert).notAfter.toISOString()).toBe('2040-01-15T12:00:00.000Z');
    expect(parse(fixed.serverCert).notAfter.toISOString()).toBe('2035-01-15T12:00:00.000Z');
    expect(parse(fixed.clientCert).notAfter.toISOString()).toBe('2035-01-15T12:00:00.000Z');
  });

  it('rejects malformed IP addresses', async () => {
    await expect(new X509Pki().createClusterPki({ ...subject, ipAddresses: ['10.0.0.300'] })).rejects.toThrow(/not an IP/);
  });
});

interface Party { key: string; cert: string; ca: string }
const serverOf = (p: ClusterPki): Party => ({ key: p.serverKey, cert: p.serverCert, ca: p.caCert });
const clientOf = (p: ClusterPki): Party => ({ key: p.clientKey, cert: p.clientCert, ca: p.caCert });

/** One mTLS connection: what the server decided and what the client received. */
async function handshake(
  server: Party & { rejectUnauthorized?: boolean },
  client: Party & { trust?: string },
): Promise<{ server: string; client: string }> {
  const { key, cert, ca, rejectUnauthorized = true } = server;
  const srv = tls.createServer({ key, cert, ca, requestCert: true, rejectUnauthorized });
  const serverSide = new Promise<string>((resolve) => {
    srv.on('secureConnection', (socket) => {
      const cn = String(socket.getPeerCertificate().subject.CN);
      resolve(socket.authorized ? `authorized ${cn}` : `unauthorized: ${String(socket.authorizationError)}`);
      socket.end(`hello ${cn}`);
    });
    srv.on('tlsClientError', (err) => resolve(`rejected: ${err.message}`));
  });
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const { port } = srv.address() as AddressInfo;
  const clientSide = new Promise<string>((resolve) => {
    const socket = tls.connect({ host: '127.0.0.1', port, servername: DNS, key: client.key, cert: client.cert, ca: client.trust ?? client.ca });
    let data = '';
    let error = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (data += chunk));
    socket.on('error', (err: Error) => (error = err.message));
    socket.on('close', () => resolve(error ? `error: ${error}` : data));
  });
  try {
    return { server: await serverSide, client: await clientSide };
  } finally {
    srv.close();
  }
}

describe('mutual TLS with node:tls', () => {
  it('authorizes the cluster client certificate against the cluster server', async () => {
    const result = await handshake(serverOf(pki), clientOf(pki));
    expect(result).toEqual({ server: 'authorized alice', client: 'hello alice' });
  });

  it('rejects a client certificate from another cluster', async () => {
    // The client trusts this cluster's CA, so only the server's check can fail.
    const result = await handshake(serverOf(pki), { ...clientOf(other), trust: pki.caCert });
    expect(result.server).toMatch(/^rejected/);
    expect(result.client).not.toContain('hello');
    // Same attempt against a lenient server shows why: the chain does not lead to this CA.
    const lenient = await handshake({ ...serverOf(pki), rejectUnauthorized: false }, { ...clientOf(other), trust: pki.caCert });
    expect(lenient.server).toBe('unauthorized: UNABLE_TO_VERIFY_LEAF_SIGNATURE');
  });

  it('the client refuses a server certificate from another cluster', async () => {
    const result = await handshake(serverOf(other), { ...clientOf(pki), trust: pki.caCert });
    expect(result.client).toMatch(/^error: .*(unable to verify|self.signed|certificate)/i);
    expect(result.server).not.toMatch(/^authorized/);
  });
});
