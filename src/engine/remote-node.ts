import { pack } from 'tar-stream';
import type { Readable } from 'node:stream';

/** The port a node engine on a registered host serves the Docker API on, with mutual TLS (published on a free port of its host). */
export const NODE_ENGINE_PORT = 2376;

/** Where a node on a host keeps its engine's TLS files (put into the container before its first start). */
const TLS_DIR = 'etc/carina/tls';

/**
 * The node engine's arguments on a host (after the entrypoint's own unix socket): TCP with mutual TLS,
 * so only a client with a certificate of the platform's node-engines CA — the control plane — gets in.
 */
export const NODE_TLS_ARGS: readonly string[] = Object.freeze([
  '--host',
  `tcp://0.0.0.0:${NODE_ENGINE_PORT}`,
  '--tlsverify',
  '--tlscacert',
  `/${TLS_DIR}/ca.pem`,
  '--tlscert',
  `/${TLS_DIR}/cert.pem`,
  '--tlskey',
  `/${TLS_DIR}/key.pem`,
]);

/** A registry the node's engine trusts: /etc/docker/certs.d/ADDRESS/ca.crt, as every docker daemon reads it. */
export interface TrustedRegistry {
  /** HOST:PORT, as image references name it. */
  readonly address: string;
  readonly caPem: string;
}

/**
 * A tar to unpack at `/` of a node's container: the engine's TLS files (the key readable by root only),
 * /run/carina, where the entrypoint's dockerd makes its unix socket (a bind mount on the local engine),
 * and the CAs of the registries it trusts (a read-only bind of the control plane's directory on the
 * local engine; a host has no such directory).
 */
export function nodeTlsArchive(files: { readonly ca: string; readonly cert: string; readonly key: string }, registries: readonly TrustedRegistry[] = []): Readable {
  const tar = pack();
  const owner = { uid: 0, gid: 0 };
  if (registries.length > 0) {
    tar.entry({ name: 'etc/docker', type: 'directory', mode: 0o755, ...owner });
    tar.entry({ name: 'etc/docker/certs.d', type: 'directory', mode: 0o755, ...owner });
  }
  for (const r of registries) {
    if (!/^[\w-][\w.-]*(:\d+)?$/.test(r.address)) throw new Error(`not a registry address: ${r.address}`);
    tar.entry({ name: `etc/docker/certs.d/${r.address}`, type: 'directory', mode: 0o755, ...owner });
    tar.entry({ name: `etc/docker/certs.d/${r.address}/ca.crt`, mode: 0o644, ...owner }, r.caPem);
  }
  tar.entry({ name: 'etc/carina', type: 'directory', mode: 0o755, ...owner });
  tar.entry({ name: TLS_DIR, type: 'directory', mode: 0o700, ...owner });
  tar.entry({ name: `${TLS_DIR}/ca.pem`, mode: 0o644, ...owner }, files.ca);
  tar.entry({ name: `${TLS_DIR}/cert.pem`, mode: 0o644, ...owner }, files.cert);
  tar.entry({ name: `${TLS_DIR}/key.pem`, mode: 0o600, ...owner }, files.key);
  tar.entry({ name: 'run/carina', type: 'directory', mode: 0o700, ...owner });
  tar.finalize();
  return tar;
}

/** Published ports as `docker inspect` shows them, or as `docker ps` (the container list) does. */
type InspectPorts = Record<string, ReadonlyArray<{ readonly HostPort?: string }> | null | undefined>;
type ListPorts = ReadonlyArray<{ readonly PrivatePort: number; readonly PublicPort?: number; readonly Type?: string }>;

/** The host port a node's engine port is published on, from either shape; undefined when it is not (a stopped node). */
export function publishedEnginePort(ports: InspectPorts | ListPorts | null | undefined): number | undefined {
  if (!ports) return undefined;
  if (Array.isArray(ports)) {
    const found = (ports as ListPorts).find((p) => p.PrivatePort === NODE_ENGINE_PORT && (p.Type ?? 'tcp') === 'tcp' && p.PublicPort);
    return found?.PublicPort;
  }
  const bindings = (ports as InspectPorts)[`${NODE_ENGINE_PORT}/tcp`];
  const port = Number(bindings?.find((b) => b.HostPort)?.HostPort);
  return Number.isInteger(port) && port > 0 ? port : undefined;
}
