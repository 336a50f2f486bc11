import type Dockerode from 'dockerode';
import { describeCause } from '../core/errors.js';
import { remappedRoot, type RemappedRoot } from './cgroup-delegation.js';

/** What a host engine says of itself, as `carina-server hosts add` stores and prints it. */
export interface HostEngineFacts {
  readonly cpus: number;
  readonly memoryBytes: number;
  readonly version: string;
  /** The host user root in a container is, when the engine runs with --userns-remap; undefined when root in a node would be the host's root. */
  readonly remappedRoot: RemappedRoot | undefined;
}

/** The engine's facts, or why it could not be asked (in words: `connection refused`, `TLS verification failed: …`). */
export type HostProbe = { readonly ok: true; readonly facts: HostEngineFacts } | { readonly ok: false; readonly cause: string };

/** How long a probe waits for the whole exchange (TCP, TLS, ping, info) by default. */
export const PROBE_TIMEOUT_MS = 10_000;

class ProbeTimeout extends Error {
  constructor(readonly ms: number) {
    super(`no answer within ${ms / 1000} s`);
  }
}

/**
 * Asks a host engine to ping and to describe itself (`info`: NCPU, MemTotal, ServerVersion), all
 * within `timeoutMs`. dockerode's own timeout only resets the socket ("socket hang up"), which would
 * read like a reset, so the deadline is kept here.
 */
export async function probeHost(docker: Dockerode, timeoutMs = PROBE_TIMEOUT_MS): Promise<HostProbe> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ProbeTimeout(timeoutMs)), timeoutMs);
  });
  const ask = async (): Promise<HostEngineFacts> => {
    await docker.ping();
    const info = (await docker.info()) as { NCPU?: unknown; MemTotal?: unknown; ServerVersion?: unknown; SecurityOptions?: string[]; DockerRootDir?: string };
    const cpus = Number(info.NCPU);
    const memoryBytes = Number(info.MemTotal);
    if (!(cpus > 0) || !(memoryBytes > 0)) throw new Error(`the engine reports no CPUs or memory (NCPU ${String(info.NCPU)}, MemTotal ${String(info.MemTotal)})`);
    return { cpus, memoryBytes, version: typeof info.ServerVersion === 'string' ? info.ServerVersion : 'unknown', remappedRoot: remappedRoot(info) };
  };
  try {
    return { ok: true, facts: await Promise.race([ask(), deadline]) };
  } catch (err) {
    return { ok: false, cause: connectionFailure(err) };
  } finally {
    clearTimeout(timer);
  }
}

// Node's codes when the engine's certificate does not check out against ca.pem.
const SERVER_UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
]);
const SERVER_EXPIRED = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID']);

/**
 * One line saying why a connection to a host engine failed, with what to check: connection refused,
 * no answer in time, no route, a name that does not resolve, TLS verification failed (the engine's
 * certificate against ca.pem, or the engine refusing cert.pem), not TLS at all; else the error's own text.
 */
export function connectionFailure(err: unknown): string {
  if (err instanceof ProbeTimeout) return `timed out: ${err.message} (a firewall dropping packets to the port, or the wrong address?)`;
  const code = typeof (err as { code?: unknown } | null)?.code === 'string' ? (err as { code: string }).code : '';
  const status = (err as { statusCode?: unknown } | null)?.statusCode;
  if (typeof status === 'number') return `the engine answered HTTP ${status}: ${describeCause(err)}`;
  if (code === 'ECONNREFUSED') return 'connection refused: nothing listens there (is dockerd started with -H tcp://0.0.0.0:2376, and the port open?)';
  if (code === 'ETIMEDOUT') return 'timed out connecting (a firewall dropping packets to the port, or the wrong address?)';
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return 'no route to the host (is the address right and the machine up?)';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'the host name does not resolve';
  if (SERVER_UNTRUSTED.has(code)) return `TLS verification failed: the engine's certificate is not signed by the CA in ca.pem (${code})`;
  if (SERVER_EXPIRED.has(code)) return `TLS verification failed: the engine's certificate is expired or not yet valid (${code})`;
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return `TLS verification failed: the engine's certificate does not name this address (${describeCause(err)})`;
  if (/^ERR_SSL_.*ALERT_(BAD_CERTIFICATE|UNKNOWN_CA|CERTIFICATE_REQUIRED|CERTIFICATE_UNKNOWN|HANDSHAKE_FAILURE|DECRYPT_ERROR)$/.test(code)) {
    return `TLS verification failed: the engine refused the client certificate cert.pem (is it signed by the CA the engine trusts, --tlscacert?) (${code})`;
  }
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'ERR_SSL_PACKET_LENGTH_TOO_LONG') {
    return 'the engine does not speak TLS there (plain HTTP? dockerd needs --tlsverify --tlscacert --tlscert --tlskey)';
  }
  if (code === 'ERR_OSSL_X509_KEY_VALUES_MISMATCH') return 'cert.pem and key.pem do not match';
  if (code === 'ECONNRESET') return `the connection was closed (${describeCause(err)}): is it a Docker engine serving TLS?`;
  return describeCause(err);
}
