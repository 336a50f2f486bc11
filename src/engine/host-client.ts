import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import Dockerode from 'dockerode';

/** A Docker engine reached over TCP with mutual TLS: a registered host's, or a node's on such a host. */
export interface TlsEngineTarget {
  /** `tcp://ADDRESS:PORT` (as DOCKER_HOST) */
  readonly dockerHost: string;
  /** Directory holding `ca.pem`, `cert.pem`, `key.pem` (as DOCKER_CERT_PATH) */
  readonly tlsDir: string;
}

/** Client key material for mutual TLS, in memory. */
export interface TlsMaterial {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

/** Reads `ca.pem`, `cert.pem`, `key.pem` of a DOCKER_CERT_PATH-style directory. */
export async function readTlsDir(dir: string): Promise<TlsMaterial> {
  const [ca, cert, key] = await Promise.all(['ca.pem', 'cert.pem', 'key.pem'].map((f) => readFile(join(dir, f), 'utf8')));
  return { ca: ca as string, cert: cert as string, key: key as string };
}

/** Host and port of a `tcp://HOST:PORT` address; throws a plain Error naming the value otherwise. */
export function parseTcpHost(dockerHost: string): { readonly host: string; readonly port: number } {
  const m = /^tcp:\/\/(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(dockerHost);
  const port = Number(m?.[2]);
  if (!m?.[1] || !(port >= 1 && port <= 65535)) throw new Error(`a Docker host must be tcp://ADDRESS:PORT (got "${dockerHost}")`);
  return { host: m[1].replace(/^\[|\]$/g, ''), port };
}

/** A dockerode client speaking HTTPS with the given client certificate, verifying the engine against `ca`. */
export function tlsDocker(address: { readonly host: string; readonly port: number }, tls: TlsMaterial, timeoutMs = 30_000): Dockerode {
  return new Dockerode({ protocol: 'https', host: address.host, port: address.port, ca: tls.ca, cert: tls.cert, key: tls.key, timeout: timeoutMs });
}

/** A client of a registered host's engine (reads its TLS directory now). */
export async function hostEngineClient(target: TlsEngineTarget, timeoutMs = 30_000): Promise<Dockerode> {
  return tlsDocker(parseTcpHost(target.dockerHost), await readTlsDir(target.tlsDir), timeoutMs);
}
