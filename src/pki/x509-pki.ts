import { isIP } from 'node:net';
import { randomBytes, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import type { Clock, Pki, PkiSubject } from '../core/ports.js';
import type { ClusterPki } from '../core/types.js';

x509.cryptoProvider.set(webcrypto);

type KeyPair = webcrypto.CryptoKeyPair;

const KEY_ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNING_ALGORITHM = { name: 'ECDSA', hash: 'SHA-256' } as const;
const CA_YEARS = 10;
const LEAF_YEARS = 5;
/** notBefore is backdated by this much to tolerate clock skew between hosts. */
const CLOCK_SKEW_MS = 60_000;

interface Issued {
  readonly cert: x509.X509Certificate;
  readonly keys: KeyPair;
}

interface LeafRequest {
  readonly subject: string;
  readonly usage: x509.ExtendedKeyUsage;
  readonly keyUsage: x509.KeyUsageFlags;
  readonly altNames?: x509.JsonGeneralNames;
}

const systemClock: Clock = { now: () => new Date() };

/** Issues per-cluster CA, server and client certificates (ECDSA P-256, SHA-256) with @peculiar/x509. */
export class X509Pki implements Pki {
  constructor(private readonly clock: Clock = systemClock) {}

  async createClusterPki(subject: PkiSubject): Promise<ClusterPki> {
    const altNames = serverAltNames(subject);
    const ca = await this.issueCa(subject);
    const server = await this.issueLeaf(ca, {
      subject: `CN=${subject.dnsNames[0] ?? 'localhost'}`,
      usage: x509.ExtendedKeyUsage.serverAuth,
      keyUsage: x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
      altNames,
    });
    const client = await this.issueLeaf(ca, {
      subject: `CN=${subject.accountName}`,
      usage: x509.ExtendedKeyUsage.clientAuth,
      keyUsage: x509.KeyUsageFlags.digitalSignature,
    });
    return {
      caCert: certPem(ca.cert),
      caKey: await keyPem(ca.keys),
      serverCert: certPem(server.cert),
      serverKey: await keyPem(server.keys),
      clientCert: certPem(client.cert),
      clientKey: await keyPem(client.keys),
      clientSerial: client.cert.serialNumber,
    };
  }

  async issueClientCert(pki: Pick<ClusterPki, 'caCert' | 'caKey'>, accountName: string): Promise<Pick<ClusterPki, 'clientCert' | 'clientKey' | 'clientSerial'>> {
    const ca = await loadCa(pki);
    const client = await this.issueLeaf(ca, {
      subject: `CN=${accountName}`,
      usage: x509.ExtendedKeyUsage.clientAuth,
      keyUsage: x509.KeyUsageFlags.digitalSignature,
    });
    return { clientCert: certPem(client.cert), clientKey: await keyPem(client.keys), clientSerial: client.cert.serialNumber };
  }

  /** A CA of its own for a server that is not a cluster (the API's HTTPS): certificate and key, PEM. */
  async createCa(name: string): Promise<Pick<ClusterPki, 'caCert' | 'caKey'>> {
    const ca = await this.issueCa({ clusterId: name, clusterName: name, accountName: 'platform', dnsNames: [], ipAddresses: [] });
    return { caCert: certPem(ca.cert), caKey: await keyPem(ca.keys) };
  }

  /** A server certificate from an existing CA, for the given names and addresses (plus the loopback ones). */
  async issueServerCert(ca: Pick<ClusterPki, 'caCert' | 'caKey'>, names: Pick<PkiSubject, 'dnsNames' | 'ipAddresses'>): Promise<{ cert: string; key: string }> {
    const server = await this.issueLeaf(await loadCa(ca), {
      subject: `CN=${names.dnsNames[0] ?? 'localhost'}`,
      usage: x509.ExtendedKeyUsage.serverAuth,
      keyUsage: x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
      altNames: serverAltNames({ clusterId: '', clusterName: '', accountName: '', ...names }),
    });
    return { cert: certPem(server.cert), key: await keyPem(server.keys) };
  }

  private async issueCa(subject: PkiSubject): Promise<Issued> {
    const keys = await generateKeys();
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      name: [
        { CN: [`Carina CA ${subject.clusterName} (${subject.accountName})`] },
        { O: ['Carina'] },
      ],
      keys,
      serialNumber: randomSerial(),
      signingAlgorithm: SIGNING_ALGORITHM,
      ...this.validity(CA_YEARS),
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    });
    return { cert, keys };
  }

  private async issueLeaf(ca: Issued, request: LeafRequest): Promise<Issued> {
    const keys = await generateKeys();
    const extensions: x509.Extension[] = [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(request.keyUsage, true),
      new x509.ExtendedKeyUsageExtension([request.usage], false),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(ca.keys.publicKey),
    ];
    if (request.altNames) extensions.push(new x509.SubjectAlternativeNameExtension(request.altNames, false));
    const cert = await x509.X509CertificateGenerator.create({
      subject: request.subject,
      issuer: ca.cert.subjectName,
      publicKey: keys.publicKey,
      signingKey: ca.keys.privateKey,
      serialNumber: randomSerial(),
      signingAlgorithm: SIGNING_ALGORITHM,
      ...this.validity(LEAF_YEARS),
      extensions,
    });
    return { cert, keys };
  }

  private validity(years: number): { notBefore: Date; notAfter: Date } {
    const now = this.clock.now();
    const notAfter = new Date(now.getTime());
    notAfter.setUTCFullYear(notAfter.getUTCFullYear() + years);
    return { notBefore: new Date(now.getTime() - CLOCK_SKEW_MS), notAfter };
  }
}

/** The server certificate's SANs: the subject's names and addresses plus the loopback ones, deduplicated. */
function serverAltNames(subject: PkiSubject): x509.JsonGeneralNames {
  const dns = unique([...subject.dnsNames, 'localhost']);
  const ips = unique([...subject.ipAddresses, '127.0.0.1']);
  for (const ip of ips) {
    if (isIP(ip) === 0) throw new Error(`not an IP address: ${JSON.stringify(ip)}`);
  }
  return [
    ...dns.map((value) => ({ type: 'dns' as const, value })),
    ...ips.map((value) => ({ type: 'ip' as const, value })),
  ];
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values.filter((v) => v.length > 0))];
}

/** 16 random bytes as hex, first byte in 0x40..0x7f so the DER INTEGER is positive and exactly 16 bytes. */
function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = ((bytes[0] ?? 0) & 0x3f) | 0x40;
  return bytes.toString('hex');
}

/** The cluster's CA (certificate and key pair) from its stored PEM. */
async function loadCa(pki: Pick<ClusterPki, 'caCert' | 'caKey'>): Promise<Issued> {
  const cert = new x509.X509Certificate(pki.caCert);
  const privateKey = await webcrypto.subtle.importKey('pkcs8', x509.PemConverter.decodeFirst(pki.caKey), KEY_ALGORITHM, true, ['sign']);
  const publicKey = await webcrypto.subtle.importKey('spki', cert.publicKey.rawData, KEY_ALGORITHM, true, ['verify']);
  return { cert, keys: { privateKey, publicKey } };
}

async function generateKeys(): Promise<KeyPair> {
  return webcrypto.subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify']);
}

function certPem(cert: x509.X509Certificate): string {
  return `${cert.toString('pem')}\n`;
}

async function keyPem(keys: KeyPair): Promise<string> {
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return `${x509.PemConverter.encode(pkcs8, 'PRIVATE KEY')}\n`;
}
