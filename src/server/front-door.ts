import { randomBytes, X509Certificate } from 'node:crypto';
import { unwatchFile, watchFile } from 'node:fs';
import { link, readFile, rename, rm, writeFile } from 'node:fs/promises';
import type { Server as TlsServer } from 'node:tls';
import type { FastifyInstance } from 'fastify';
import { hostname, networkInterfaces } from 'node:os';
import { isIP } from 'node:net';
import { join } from 'node:path';
import type { ServerConfig } from '../config/config.js';
import { X509Pki } from '../pki/x509-pki.js';
import { createKeySealer } from '../store/key-sealer.js';

/** A server certificate and its key, PEM. */
export interface TlsMaterial {
  readonly cert: string;
  readonly key: string;
}

/** How the API and the portal are served: plain HTTP, or HTTPS with material that may be read again. */
export interface FrontDoor {
  readonly scheme: 'http' | 'https';
  readonly tls?: TlsMaterial;
  /** Reads the operator's files again (SIGHUP, or when they change); absent for self-issued or plain HTTP. */
  readonly reload?: () => Promise<TlsMaterial>;
  /** The files whose changes call for a reload. */
  readonly watched: readonly string[];
}

/**
 * Takes the operator's certificate and key anew on SIGHUP and when either file changes (polled every
 * second: editors and cert managers replace files rather than write them in place). Connections
 * already open keep the old certificate; the API never stops listening. Returns the way to stop.
 */
export function reloadOnChange(door: FrontDoor, api: FastifyInstance, log: (line: string) => void): () => void {
  const reload = door.reload;
  if (!reload) return () => undefined;
  const apply = () => {
    reload().then(
      (tls) => {
        (api.server as unknown as TlsServer).setSecureContext({ cert: tls.cert, key: tls.key, minVersion: 'TLSv1.2' });
        log(`reloaded the API's certificate from ${door.watched.join(' and ')}`);
      },
      (e: unknown) => log(`could not reload the API's certificate (keeping the current one): ${e instanceof Error ? e.message : String(e)}`),
    );
  };
  process.on('SIGHUP', apply);
  for (const file of door.watched) watchFile(file, { interval: 1_000 }, apply);
  return () => {
    process.off('SIGHUP', apply);
    for (const file of door.watched) unwatchFile(file, apply);
  };
}

/** The platform CA of the API's self-issued certificates: `<data dir>/api-ca.pem` for clients to trust. */
export const API_CA_FILE = 'api-ca.pem';
/** The same CA with its private key sealed by the secret key (never readable from a copy of the data dir alone). */
const API_CA_SEALED = 'api-ca.sealed.json';

/** Decides how the API is served and prepares its TLS material (see ServerConfig.frontDoor). */
export async function openFrontDoor(config: ServerConfig, secretKey: Buffer, log: (line: string) => void): Promise<FrontDoor> {
  const door = config.frontDoor;
  if (door.kind === 'http') {
    if (door.insecure) {
      log(`WARNING: the API and the portal are served over plain HTTP on ${config.listenHost}, a non-loopback address (CARINA_INSECURE_HTTP=1): API keys, session cookies and credentials bundles cross the network in clear text; serve HTTPS (CARINA_TLS_CERT/CARINA_TLS_KEY, or unset CARINA_INSECURE_HTTP for a self-issued certificate) or put a TLS proxy in front (CARINA_TRUST_PROXY)`);
    }
    return { scheme: 'http', watched: [] };
  }
  if (door.kind === 'files') {
    const read = async (): Promise<TlsMaterial> => ({ cert: await readFile(door.certFile, 'utf8'), key: await readFile(door.keyFile, 'utf8') });
    return { scheme: 'https', tls: await read(), reload: read, watched: [door.certFile, door.keyFile] };
  }
  const pki = new X509Pki();
  const ca = await platformCa(config.dataDir, secretKey, pki, PLATFORM_CA);
  const tls = await pki.issueServerCert(ca, serverNames(config));
  const caPath = join(config.dataDir, API_CA_FILE);
  log(`serving HTTPS with a certificate from Carina's own CA: clients trust ${caPath} (SHA-256 fingerprint ${new X509Certificate(ca.caCert).fingerprint256}); e.g. carina --cacert ${caPath}, curl --cacert ${caPath}`);
  return { scheme: 'https', tls, watched: [] };
}

/** A CA of the platform's own kept in the data dir: its name, the certificate's file, the sealed pair's file. */
export interface SealedCaFiles {
  readonly name: string;
  readonly certFile: string;
  readonly sealedFile: string;
}

/** The platform CA: the API's self-issued certificates and the registry's. */
export const PLATFORM_CA: SealedCaFiles = Object.freeze({ name: 'carina-api', certFile: API_CA_FILE, sealedFile: API_CA_SEALED });

/**
 * A CA made on first start and kept in the data dir, its key sealed with the secret key; replicas
 * sharing the data dir share it (the first to start writes it).
 */
export async function platformCa(dataDir: string, secretKey: Buffer, pki: X509Pki, files: SealedCaFiles): Promise<{ caCert: string; caKey: string }> {
  const sealer = createKeySealer(secretKey);
  const sealedPath = join(dataDir, files.sealedFile);
  let stored: { caCert: string; caKey: string };
  try {
    stored = JSON.parse(await readFile(sealedPath, 'utf8')) as { caCert: string; caKey: string };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`cannot read the CA ${sealedPath}: ${(e as Error).message}`);
    const made = await pki.createCa(files.name);
    stored = { caCert: made.caCert, caKey: sealer.seal(made.caKey) };
    // Written whole under another name, then linked: a replica starting at the same time reads all of it or none.
    const tmp = `${sealedPath}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(tmp, JSON.stringify(stored), { mode: 0o600 });
    try {
      await link(tmp, sealedPath);
    } catch (linkError) {
      if ((linkError as NodeJS.ErrnoException).code !== 'EEXIST') throw linkError;
      stored = JSON.parse(await readFile(sealedPath, 'utf8')) as { caCert: string; caKey: string };
    } finally {
      await rm(tmp, { force: true });
    }
  }
  const caPath = join(dataDir, files.certFile);
  const caTmp = `${caPath}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(caTmp, stored.caCert, { mode: 0o600 });
  await rename(caTmp, caPath);
  return { caCert: stored.caCert, caKey: sealer.open(stored.caKey, `the CA key in ${sealedPath}`) };
}

/** The names clients reach the API by: the listen and advertise addresses, this host's names and (for 0.0.0.0) every interface address. */
export function serverNames(config: Pick<ServerConfig, 'listenHost' | 'advertiseAddress'>): { dnsNames: string[]; ipAddresses: string[] } {
  const candidates = [config.listenHost.replace(/^\[|\]$/g, ''), config.advertiseAddress, hostname()];
  if (config.listenHost === '0.0.0.0' || config.listenHost === '::' || config.listenHost === '[::]') {
    for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) candidates.push(a.address.replace(/%.*$/, ''));
  }
  const unspecified = new Set(['0.0.0.0', '::']);
  const ips = candidates.filter((c) => isIP(c) !== 0 && !unspecified.has(c));
  const dns = candidates.filter((c) => c !== '' && isIP(c) === 0);
  return { dnsNames: [...new Set([...dns, 'localhost'])], ipAddresses: [...new Set(ips)] };
}
