import { X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { CliCode, CliError } from './errors.js';

/** Where a docker daemon looks for the CA of a registry: `<root>/<ADDRESS>/ca.crt`, read at every pull and push. */
export const DOCKER_CERTS_DIR = '/etc/docker/certs.d';

// HOST[:PORT]: a DNS name, an IPv4 address or a bracketed IPv6 one. The address names a directory
// the CLI may write as root and is printed into shell lines, so nothing else gets through.
const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::(\d{1,5}))?$/;

/** True when `address` is a plain HOST[:PORT] (safe as one directory name and in a shell line). */
export function isRegistryAddress(address: string): boolean {
  const m = HOST.exec(address);
  if (!m || address.length > 260) return false;
  const port = m[1] === undefined ? undefined : Number(m[1]);
  return port === undefined || (port >= 1 && port <= 65535);
}

/** The registry address the server gave, checked; a bad one is the server's fault (exit 6). */
export function checkRegistryAddress(address: string, endpoint: string): string {
  if (isRegistryAddress(address)) return address;
  throw new CliError(CliCode.BAD_RESPONSE, `${endpoint} gave a registry address that is not HOST:PORT (${JSON.stringify(address.slice(0, 80))})`);
}

/**
 * The CA certificates of `pem`, re-serialised from what parsed (only CERTIFICATE blocks, each a
 * valid X.509 certificate), or undefined when there is none or anything else is in it.
 */
export function caCertificates(pem: string): string | undefined {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\s]+?-----END CERTIFICATE-----/g) ?? [];
  const rest = blocks.reduce((text, block) => text.replace(block, ''), pem);
  if (blocks.length === 0 || rest.trim() !== '') return undefined;
  try {
    return blocks.map((b) => new X509Certificate(b).toString().trim() + '\n').join('');
  } catch {
    return undefined;
  }
}

/** The same certificates, whatever the line endings and blank lines. */
export function samePem(a: string, b: string): boolean {
  const squash = (s: string) => s.replace(/\s+/g, '');
  return squash(a) === squash(b);
}

/** What `carina registry login` does about the daemon's trust in the registry's CA. */
export type TrustPlan =
  /** certs.d already holds this CA. */
  | { readonly kind: 'trusted'; readonly file: string }
  /** Write it (directory 0755, file 0644); `replacing` when another CA is there. */
  | { readonly kind: 'write'; readonly dir: string; readonly file: string; readonly replacing: boolean }
  /** The user runs `commands` (as root) to put the saved copy in place. */
  | { readonly kind: 'manual'; readonly dir: string; readonly file: string; readonly commands: readonly string[] };

/** What the plan is decided from: paths, the CA, and what the CLI found on disk. */
export interface TrustFacts {
  readonly certsRoot: string;
  readonly address: string;
  /** The CA to trust (checked by `caCertificates`). */
  readonly ca: string;
  /** The contents of `<certsRoot>/<address>/ca.crt`, undefined if there is none. */
  readonly existing: string | undefined;
  /** Whether this process may write there (root, or the nearest existing directory is writable). */
  readonly canWrite: boolean;
  /** Where the CLI saved a copy of the CA for the user's own commands. */
  readonly savedCa: string;
  /** Only print what to do (`--no-docker`). */
  readonly printOnly: boolean;
}

/** `v` as one POSIX shell word: as is when plain, else single-quoted. */
export const shArg = (v: string) => (/^[\w@%+=:,./-]+$/.test(v) ? v : `'${v.replaceAll("'", `'\\''`)}'`);

/** The shell lines that put `savedCa` in place as root. */
export function trustCommands(dir: string, file: string, savedCa: string): string[] {
  return [`sudo install -d -m 0755 ${shArg(dir)}`, `sudo install -m 0644 ${shArg(savedCa)} ${shArg(file)}`];
}

/** Decides whether the CA is in place, can be written, or must be installed by the user. */
export function planTrust(f: TrustFacts): TrustPlan {
  const dir = join(f.certsRoot, f.address);
  const file = join(dir, 'ca.crt');
  if (f.existing !== undefined && samePem(f.existing, f.ca)) return { kind: 'trusted', file };
  if (f.canWrite && !f.printOnly) return { kind: 'write', dir, file, replacing: f.existing !== undefined };
  return { kind: 'manual', dir, file, commands: trustCommands(dir, file, f.savedCa) };
}
